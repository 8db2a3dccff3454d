import { describe, expect, it } from 'vitest'
import { steadyPagesPerSec } from '../bench/stats.js'
import { paybackPages, rankPoints, startupLossMs, type TunePoint } from '../bench/sweep.js'

describe('steady state is read after the warm-up share of pages', () => {
  it('ignores a slow start: 20 cold pages over 2 s, then 80 pages at 100 pages/s', () => {
    const done = [...Array.from({ length: 20 }, (_, i) => (i + 1) * 100), ...Array.from({ length: 80 }, (_, i) => 2000 + (i + 1) * 10)]
    expect(steadyPagesPerSec(done, 1)).toBeCloseTo(100, 5)
    // The whole run's pace is far lower: the slow start is what the start-up column shows instead.
    expect((100 * 1000) / 2800).toBeLessThan(40)
  })

  it('takes whole rounds of a model-bound run, so bursts of replies do not skew it', () => {
    // 4 rounds of 10 calls, each round ending together 1 s after the last.
    const done = Array.from({ length: 40 }, (_, i) => (Math.floor(i / 10) + 1) * 1000)
    expect(steadyPagesPerSec(done, 10)).toBeCloseTo(10, 5)
  })

  it('has no steady state for a run of one round', () => {
    expect(steadyPagesPerSec([1000, 1000, 1010, 1020, 1030], 5)).toBeNaN()
  })
})

function point(threads: number, pages: number, wallMs: number, steady: number, runs?: number[]): TunePoint {
  return { threads, concurrency: 16, pages, wallMs, pagesPerSec: (pages * 1000) / wallMs, steadyPagesPerSec: steady, runs, p50PageMs: 10, p50ModelMs: 0, cpuMs: wallMs, requests: null, throttled: null, failed: 0, errors: {} }
}

describe('threads repay their start after so many pages', () => {
  it('is where the two wall times meet: start-up loss over the gain a page', () => {
    // One thread: 100 pages/s from the start (1000 pages in 10 s). Two: 180 pages/s after losing 0.8 s.
    const one = point(1, 1000, 10_000, 100)
    const two = point(2, 1000, 1000 * (1000 / 180) + 800, 180)
    expect(startupLossMs(two)).toBeCloseTo(800, 5)
    // 800 ms ÷ (10 ms − 5.56 ms a page) = 180 pages.
    expect(paybackPages(one, two)).toBeCloseTo(180, 0)
  })

  it('is never when the threads are no faster once warm', () => {
    expect(paybackPages(point(1, 100, 1000, 100), point(2, 100, 1300, 99))).toBe(Number.POSITIVE_INFINITY)
  })

  it('ranks two settings only when every run of one beats every run of the other', () => {
    expect(rankPoints(point(2, 100, 1, 50, [49, 50, 52]), point(1, 100, 1, 40, [38, 40, 41]))).toBe('faster')
    expect(rankPoints(point(2, 100, 1, 50, [45, 50, 52]), point(1, 100, 1, 46, [44, 46, 47]))).toBe('level')
    expect(rankPoints(point(2, 100, 1, 50), point(1, 100, 1, 40))).toBe('unknown')
  })
})
