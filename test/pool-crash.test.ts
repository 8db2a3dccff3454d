import { describe, expect, it } from 'vitest'
import type { AnalyzeTask } from '../src/analyze.js'
import { PoolExecutor } from '../src/executors/pool.js'

const task = (url: string, html: string): AnalyzeTask => ({
  url,
  body: new TextEncoder().encode(html),
  contentType: 'text/html',
  headerCharset: undefined,
  maxChars: 150,
  maxInputChars: 12_000,
})
const small = (n: number): AnalyzeTask =>
  task(`http://x/small${n}`, `<html><head><title>Small ${n}</title></head><body><article><p>${'A small page about harbours and the grain they moved for centuries. '.repeat(20)}</p></article></body></html>`)
/** 20,000 elements: a DOM far larger than the 32 MB heap the test gives each thread. */
const pathological = task('http://x/huge', `<html><body>${'<div><p>word here</p></div>'.repeat(20_000)}</body></html>`)

describe('a worker thread that runs out of memory', () => {
  it('fails only its own page with WORKER_CRASHED; the pages sharing its thread are redone, and the pool goes on', async () => {
    const pool = new PoolExecutor(1, 4, { provider: 'extractive' }, undefined, { workerMemoryMb: 32, startThreads: 'at-once' })
    try {
      // The thread holds two pages at once and the third waits for it: the crash takes what the thread holds down with it.
      const outcomes = await Promise.all([pool.analyze(small(1)), pool.analyze(pathological), pool.analyze(small(2))])
      expect(outcomes.map((o) => o.status)).toEqual(['ok', 'error', 'ok'])
      const crashed = outcomes[1]!
      expect(crashed.status === 'error' && crashed.error).toMatchObject({ code: 'WORKER_CRASHED', attempts: 2 })
      expect(crashed.status === 'error' && crashed.error.message).toContain('ERR_WORKER_OUT_OF_MEMORY')
      // The pool replaced its thread.
      expect((await pool.analyze(small(3))).status).toBe('ok')
    } finally {
      await pool.close()
    }
  })
})
