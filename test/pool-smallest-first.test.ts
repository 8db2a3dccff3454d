import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AnalyzeTask } from '../src/analyze.js'
import { PoolExecutor } from '../src/executors/pool.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'

const task = (name: string): AnalyzeTask => ({
  url: `http://corpus.test/${name}/`,
  body: readFileSync(join(CORPUS_DIR, name, 'source.html')),
  contentType: 'text/html',
  headerCharset: undefined,
  maxChars: 150,
  maxInputChars: 12_000,
})

describe('pages waiting for a busy thread of the real pool', () => {
  it('go smallest body first, whatever order they arrived in', async () => {
    // The clock is frozen so that no page ages past MAX_BYPASS_MS however slow the machine:
    // the order seen is the order by size alone (aging has its own test in page-queue.test.ts).
    const pool = new PoolExecutor(1, 16, { provider: 'extractive' }, undefined, { startThreads: 'at-once', queueClock: () => 0 })
    try {
      // A first page, awaited, so the thread is loaded and takes the next ones as they come.
      expect((await pool.analyze(task('001'))).status).toBe('ok')
      const bySize = corpusPageNames()
        .map(task)
        .sort((a, b) => a.body.byteLength - b.body.byteLength)
      // Eight pages of distinct sizes from across the corpus, in an order that is not theirs by size.
      const picked = [0, 10, 20, 30, 40, 50, 60, 70].map((i) => bySize[i] as AnalyzeTask)
      const arrival = [5, 0, 7, 2, 6, 1, 4, 3].map((i) => picked[i] as AnalyzeTask)
      const finished: string[] = []
      // Submitted in one turn of the event loop: the thread holds the first two (two pages a
      // thread), the other six wait in the queue until it frees up, and it runs one at a time.
      const outcomes = await Promise.all(arrival.map((page) => pool.analyze(page).then((outcome) => (finished.push(page.url), outcome))))
      expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill('ok'))
      const waited = arrival.slice(2)
      const smallestFirst = [...waited].sort((a, b) => a.body.byteLength - b.body.byteLength).map((page) => page.url)
      expect(smallestFirst).not.toEqual(waited.map((page) => page.url))
      expect(finished.slice(0, 2).sort()).toEqual(arrival.slice(0, 2).map((page) => page.url).sort())
      expect(finished.slice(2)).toEqual(smallestFirst)
    } finally {
      await pool.close()
    }
  }, 60_000)
})
