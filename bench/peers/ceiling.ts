import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import type { AnalyzeTask } from '../../src/analyze.js'
import type { PageOutcome } from './p-limit.js'

// From source the worker is .ts, loaded through tsx; from dist/ it is .js (the pool's rule).
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const WORKER = new URL(`./ceiling-worker.${ownExtension}`, import.meta.url)

interface Reply {
  id: number
  ok: boolean
  extract: number
  summarize: number
}

/**
 * The most `threads` worker threads can do on this machine with the pool's page work: the
 * bare loop a `worker_threads` tutorial shows. The main thread fetches with `concurrency`
 * pages in flight and posts each body (transferred) to the thread with the fewest pages;
 * each thread runs `analyzePage` with the offline summarizer. No Piscina, no retry on a dead
 * thread, no ordering, no rate control: the ceiling row of the `cpu` workload, so the pool's
 * ratio to it is printed rather than argued. Threads start inside the run, as the pool's do.
 */
export async function runCeiling(urls: readonly string[], concurrency: number, threads: number, maxChars: number): Promise<PageOutcome[]> {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}))
  const load = workers.map(() => 0)
  const waiting = new Map<number, (reply: Reply) => void>()
  for (const worker of workers) worker.on('message', (reply: Reply | 'ready') => reply !== 'ready' && waiting.get(reply.id)?.(reply))
  try {
    let next = 0
    const outcomes: PageOutcome[] = []
    const lane = async (): Promise<void> => {
      for (let id = next++; id < urls.length; id = next++) {
        const url = urls[id] as string
        const started = performance.now()
        const response = await fetch(url)
        const body = new Uint8Array(await response.arrayBuffer())
        const fetched = performance.now() - started
        const index = load.indexOf(Math.min(...load))
        load[index] = (load[index] as number) + 1
        const task: AnalyzeTask = { url, body, contentType: 'text/html', headerCharset: undefined, maxChars, maxInputChars: 12_000 }
        const reply = await new Promise<Reply>((resolve) => {
          waiting.set(id, resolve)
          workers[index]?.postMessage({ id, task }, [body.buffer as ArrayBuffer])
        })
        waiting.delete(id)
        load[index] = (load[index] as number) - 1
        outcomes.push({ ok: reply.ok, timingsMs: { fetch: fetched, extract: reply.extract, summarize: reply.summarize, total: performance.now() - started }, errorCode: reply.ok ? null : 'ERROR' })
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
    return outcomes
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
