import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { AnalyzeTask } from '../../src/analyze.js'
import { WORKER_YOUNG_GENERATION_MB } from '../../src/executors/worker-heap.js'
import type { PageOutcome } from './p-limit.js'

// From source the worker is .ts, loaded through tsx; from dist/ it is .js (the pool's rule).
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const WORKER = new URL(`./ceiling-worker.${ownExtension}`, import.meta.url)

/**
 * Passes over the distinct pages each thread makes before the clock starts. Measured on two
 * cores: two passes bring a thread to its warm speed (a third changed nothing), where a cold
 * thread runs its first pages 1.5–2× slower while V8 compiles the extraction code.
 */
export const WARM_PASSES = 2

interface Reply {
  id: number
  ok: boolean
  extract: number
  summarize: number
}

export interface Ceiling {
  /** The pages, `concurrency` at a time; each outcome goes to `record` as it ends. */
  run(concurrency: number, record: (outcome: PageOutcome) => void): Promise<void>
  close(): Promise<void>
}

/**
 * A ceiling thread; from source through ceiling-entry.cjs, which says why. It gets the pool's
 * young generation (worker-heap.ts), so the ceiling rows measure the pool's threads without
 * the pool: with V8's default a ceiling thread ran twice the pool's scavenges a page.
 */
export function startCeilingWorker(youngGenerationMb = WORKER_YOUNG_GENERATION_MB): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: youngGenerationMb }
  if (ownExtension === 'js') return new Worker(WORKER, { resourceLimits })
  return new Worker(new URL('./ceiling-entry.cjs', import.meta.url), { workerData: { entry: fileURLToPath(WORKER) }, execArgv: ['--import', 'tsx'], resourceLimits })
}

/** A page's URL without the bench's `?copy=N`: the same page served again. */
function pageOf(url: string): string {
  return url.replace(/[?&]copy=\d+$/, '')
}

/**
 * The most `threads` worker threads can do on this machine with the pool's page work: the
 * bare loop a `worker_threads` tutorial shows. Each page goes (its bytes transferred) to the
 * thread with the fewest pages, which runs `analyzePage` with the offline summarizer. No
 * Piscina, no retry on a dead thread, no ordering, no rate control.
 *
 * The threads start and run every distinct page `warmPasses` times before this returns, so
 * the run that follows measures warm threads: what a long run reaches once started (the pool
 * starts its threads inside its run, and the table's start-up column shows what that costs).
 * With `extractOnly`, the bodies are fetched here too and the run fetches nothing: extraction
 * alone, so the ceiling row with fetching shows what the page server and fetching cost.
 */
export async function prepareCeiling(urls: readonly string[], threads: number, maxChars: number, extractOnly: boolean, warmPasses = WARM_PASSES): Promise<Ceiling> {
  const workers = Array.from({ length: threads }, () => startCeilingWorker())
  const load = workers.map(() => 0)
  const waiting = new Map<number, (reply: Reply) => void>()
  for (const worker of workers) worker.on('message', (reply: Reply | 'ready') => reply !== 'ready' && waiting.get(reply.id)?.(reply))
  let ids = 0
  const analyze = (index: number, url: string, body: Uint8Array): Promise<Reply> => {
    const id = ids++
    const task: AnalyzeTask = { url, body, contentType: 'text/html', headerCharset: undefined, maxChars, maxInputChars: 12_000 }
    load[index] = (load[index] as number) + 1
    return new Promise<Reply>((resolve) => {
      waiting.set(id, resolve)
      workers[index]?.postMessage({ id, task }, [body.buffer as ArrayBuffer])
    }).finally(() => {
      waiting.delete(id)
      load[index] = (load[index] as number) - 1
    })
  }
  const leastLoaded = (): number => load.indexOf(Math.min(...load))

  const bodies = new Map<string, Uint8Array>()
  for (const page of new Set(urls.map(pageOf))) bodies.set(page, new Uint8Array(await (await fetch(page)).arrayBuffer()))
  const bodyOf = (url: string): Uint8Array => new Uint8Array(bodies.get(pageOf(url)) as Uint8Array)
  await Promise.all(
    workers.map(async (_, index) => {
      for (let pass = 0; pass < warmPasses; pass++) for (const page of bodies.keys()) await analyze(index, page, bodyOf(page))
    }),
  )

  return {
    async run(concurrency, record) {
      let next = 0
      const lane = async (): Promise<void> => {
        for (let i = next++; i < urls.length; i = next++) {
          const url = urls[i] as string
          const started = performance.now()
          let body: Uint8Array
          if (extractOnly) body = bodyOf(url)
          else body = new Uint8Array(await (await fetch(url)).arrayBuffer())
          const fetched = performance.now() - started
          const reply = await analyze(leastLoaded(), url, body)
          record({ ok: reply.ok, timingsMs: { fetch: fetched, extract: reply.extract, summarize: reply.summarize, total: performance.now() - started }, errorCode: reply.ok ? null : 'ERROR', usage: null })
        }
      }
      await Promise.all(Array.from({ length: concurrency }, lane))
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()))
    },
  }
}
