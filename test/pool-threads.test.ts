import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AnalyzeOutcome, AnalyzeTask } from '../src/analyze.js'
import type { RunningEmulator } from '../src/emulator/server.js'
import type { Executor } from '../src/executors/executor.js'
import { InlineExecutor } from '../src/executors/inline.js'
import { PoolExecutor } from '../src/executors/pool.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { bedrockConfig, quietEmulator, useFakeAwsCredentials } from './helpers/bedrock.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'

const task = (name: string): AnalyzeTask => ({
  url: `http://corpus.test/${name}/`,
  body: readFileSync(join(CORPUS_DIR, name, 'source.html')),
  contentType: 'text/html',
  headerCharset: undefined,
  maxChars: 150,
  maxInputChars: 12_000,
})
// Every fourth corpus page: a spread of languages, sizes and layouts.
const tasks = corpusPageNames().filter((_, i) => i % 4 === 0).map(task)
const light = (n: number): AnalyzeTask => ({ ...task(corpusPageNames()[0] as string), url: `http://x/light${n}`, body: new TextEncoder().encode(`<html><body><p>Light page ${n}: a harbour, its grain and its ships.</p></body></html>`) })

/** What a record keeps of an outcome: timings differ from run to run. */
const kept = (o: AnalyzeOutcome) => (o.status === 'ok' ? { status: o.status, title: o.title, lang: o.lang, summary: o.summary, model: o.model } : { status: o.status, code: o.error.code })

async function analyzeAll(executor: Executor, pages: readonly AnalyzeTask[], concurrency: number): Promise<AnalyzeOutcome[]> {
  const outcomes: AnalyzeOutcome[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < pages.length; i = next++) outcomes[i] = await executor.analyze(pages[i] as AnalyzeTask)
    }),
  )
  return outcomes
}

/** The sampled pages twice over (the second time under other URLs): enough page work to keep the main thread busy. */
const doubled: readonly AnalyzeTask[] = [...tasks, ...tasks.map((t) => ({ ...t, url: `${t.url}?again` }))]

let doubledOnMainThread: Promise<Array<ReturnType<typeof kept>>> | undefined
/** What the main thread alone makes of `doubled`: the reference several tests compare with, computed once for the file. */
function doubledInline(): Promise<Array<ReturnType<typeof kept>>> {
  doubledOnMainThread ??= (async () => {
    const inline = new InlineExecutor('async', 8, { provider: 'extractive' })
    try {
      return (await analyzeAll(inline, doubled, 8)).map(kept)
    } finally {
      await inline.close()
    }
  })()
  return doubledOnMainThread
}

async function compare(summarizer: SummarizerConfig): Promise<void> {
  const inline = new InlineExecutor('async', 4, summarizer)
  const pool = new PoolExecutor(2, 4, summarizer, undefined, { startThreads: 'at-once' })
  try {
    const [here, threaded] = [await analyzeAll(inline, tasks, 4), await analyzeAll(pool, tasks, 4)]
    expect(here.every((o) => o.status === 'ok')).toBe(true)
    expect(threaded.map(kept)).toEqual(here.map(kept))
  } finally {
    await Promise.all([inline.close(), pool.close()])
  }
}

useFakeAwsCredentials()
let emulator: RunningEmulator
beforeAll(async () => {
  emulator = await quietEmulator({ latencyMs: 5, jitterMs: 5, overshootRate: 0 })
})
afterAll(() => emulator.close())

describe('pages done on a pool thread', () => {
  it('get the records they get on the main thread, offline', () => compare({ provider: 'extractive' }), 60_000)

  it('get the summaries they get on the main thread through Bedrock: the thread extracts, the main thread calls the model', () => compare(bedrockConfig(emulator.url)), 60_000)
})

// The rules under test alone, whatever other programs do with the cores (see 'other programs' below).
const anyLoad = { minCoreShare: 0 }

describe('the pool starts its threads when the main thread is busy, not before', () => {
  it('runs light pages spread over time on the main thread and starts no thread', async () => {
    const pool = new PoolExecutor(2, 4, { provider: 'extractive' }, undefined, anyLoad)
    try {
      for (let n = 0; n < 12; n++) {
        expect((await pool.analyze(light(n))).status).toBe('ok')
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(pool.threadsStarted).toBe(false)
    } finally {
      await pool.close()
    }
  })

  it('starts no thread when the main thread is busy with work a thread cannot take (its sockets, model calls)', async () => {
    const pool = new PoolExecutor(2, 4, { provider: 'extractive' }, undefined, anyLoad)
    try {
      for (let n = 0; n < 20; n++) {
        // 15 ms of the main thread's own work between light pages: busy, but not with pages.
        const until = performance.now() + 15
        while (performance.now() < until);
        expect((await pool.analyze(light(n))).status).toBe('ok')
      }
      expect(pool.threadsStarted).toBe(false)
    } finally {
      await pool.close()
    }
  })

  it('starts them once corpus pages keep the main thread busy, and hands pages over with the same results', async () => {
    const pool = new PoolExecutor(2, 8, { provider: 'extractive' }, undefined, anyLoad)
    try {
      const outcomes = await analyzeAll(pool, doubled, 8)
      expect(pool.threadsStarted).toBe(true)
      expect(outcomes.map(kept)).toEqual(await doubledInline())
    } finally {
      await pool.close()
    }
  }, 60_000)

  it('starts them when every page of the run arrived at once and waits for the main thread (concurrency above the page count)', async () => {
    const pool = new PoolExecutor(2, 1000, { provider: 'extractive' }, undefined, anyLoad)
    try {
      // No page arrives after these: the main thread's turns are the only moments left to start threads.
      const outcomes = await Promise.all(doubled.map((page) => pool.analyze(page)))
      expect(pool.threadsStarted).toBe(true)
      expect(outcomes.map(kept)).toEqual(await doubledInline())
    } finally {
      await pool.close()
    }
  }, 60_000)
})

describe('the pool weighs the work ahead when the run knows it', () => {
  // The pages of the test above, which start threads when the run cannot tell how many are ahead.
  const pages = doubled

  it('starts no thread for a run too short to repay them, and its pages still get their records', async () => {
    let started = 0
    const pool = new PoolExecutor(2, 8, { provider: 'extractive' }, undefined, { ...anyLoad, pagesAhead: () => pages.length - started })
    const counting: Executor = { strategy: 'pool', concurrency: 8, analyze: (task) => ((started += 1), pool.analyze(task)), summarize: (prepared) => pool.summarize(prepared), close: () => pool.close() }
    try {
      const outcomes = await analyzeAll(counting, pages, 8)
      expect(pool.threadsStarted).toBe(false)
      expect(outcomes.map(kept)).toEqual(await doubledInline())
    } finally {
      await pool.close()
    }
  }, 60_000)

  it('starts them when a long run is ahead', async () => {
    const pool = new PoolExecutor(2, 8, { provider: 'extractive' }, undefined, { ...anyLoad, pagesAhead: () => 100_000 })
    try {
      await analyzeAll(pool, pages, 8)
      expect(pool.threadsStarted).toBe(true)
    } finally {
      await pool.close()
    }
  }, 60_000)
})

describe('the pool leaves the cores to other programs that keep them busy', () => {
  it('starts no thread while every core is taken: the main thread itself gets too little of one', async () => {
    // Two spinning processes a core, each ending by itself within a minute should the test die.
    const spinners = Array.from({ length: 2 * availableParallelism() }, () =>
      spawn(process.execPath, ['-e', 'const end = Date.now() + 60_000; while (Date.now() < end);'], { stdio: 'ignore' }),
    )
    const pool = new PoolExecutor(2, 8, { provider: 'extractive' })
    try {
      const outcomes = await analyzeAll(pool, doubled, 8)
      expect(outcomes.every((o) => o.status === 'ok')).toBe(true)
      expect(pool.threadsStarted).toBe(false)
    } finally {
      for (const spinner of spinners) spinner.kill('SIGKILL')
      await pool.close()
    }
  }, 120_000)
})

describe('pages waiting for a pool thread', () => {
  it('wait in one queue: a cancelled one ends ABORTED at once, and the others still run on the thread', async () => {
    const pool = new PoolExecutor(1, 8, { provider: 'extractive' }, undefined, { startThreads: 'at-once' })
    try {
      const cancel = new AbortController()
      // One thread holds two pages; the rest wait for it, the cancelled one among them.
      const pages = tasks.slice(0, 6)
      const pending = pages.map((page, i) => pool.analyze(page, i === 4 ? cancel.signal : undefined))
      cancel.abort()
      const cancelled = await pending[4]
      expect(cancelled?.status === 'error' && cancelled.error.code).toBe('ABORTED')
      const outcomes = await Promise.all(pending)
      expect(outcomes.map((o) => o.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'error', 'ok'])
    } finally {
      await pool.close()
    }
  }, 60_000)
})
