import { describe, expect, it } from 'vitest'
import { analyzeSweep, findPlateau, type TunePoint } from '../bench/sweep.js'
import { nearestRival, tuneAdvice } from '../bench/tune-advice.js'
import { tuneSettings } from '../bench/tune.js'

/** A point of a sweep where every page takes `pageMs` (1 s of model) and costs `cpuPerPage` ms of CPU. */
function point(threads: number, concurrency: number, pagesPerSec: number, extra: Partial<TunePoint> = {}): TunePoint {
  const pages = concurrency * 4
  const wallMs = (pages / pagesPerSec) * 1000
  return {
    threads,
    concurrency,
    pages,
    wallMs,
    pagesPerSec,
    p50PageMs: 1050,
    p50ModelMs: 1000,
    cpuMs: pages * 20,
    requests: pages,
    throttled: 0,
    failed: 0,
    errors: {},
    ...extra,
  }
}

const pointRateOf = (p: TunePoint): number => p.steadyPagesPerSec ?? p.pagesPerSec

describe('tune picks the best setting and explains it', () => {
  it("recommends the fastest setting and sizes it with Little's law", () => {
    const points = [point(1, 1, 0.95), point(1, 4, 3.8), point(1, 16, 15), point(2, 16, 15.2), point(2, 64, 58)]
    const analysis = analyzeSweep(points, 2)
    expect(analysis.best).toMatchObject({ threads: 2, concurrency: 64 })
    expect(analysis.latencyMs).toBe(1000)
    expect(analysis.pageMs).toBe(1050)
    // 58 pages/s × 1.05 s a page = 60.9 pages in flight.
    expect(analysis.inFlightNeeded).toBeCloseTo(60.9, 1)
    // 58 pages/s × 20 ms of CPU = 1.16 cores.
    expect(analysis.coresNeeded).toBeCloseTo(1.16, 2)
    expect(analysis.plateau).toBeUndefined()
  })

  it('sets the recommendation against the rival that was run again, not the fastest setting run once', () => {
    // Recommended: 1 thread at 32 (within 3% of the fastest, fewer threads); the sweep ran it and 1 thread at 64 again.
    const points = [point(1, 32, 30, { runs: [30, 29.8, 30.1] }), point(2, 32, 30.5, { runs: [30.5] }), point(1, 64, 30.4, { runs: [30.4, 30.2, 30.6] })]
    const analysis = analyzeSweep(points, 2)
    expect(analysis.best).toMatchObject({ threads: 1, concurrency: 32 })
    expect(nearestRival(analysis.best, points)).toMatchObject({ threads: 1, concurrency: 64 })
    expect(tuneAdvice(analysis, points, [32, 64], 2).join('\n')).toContain('against --threads 1 --concurrency 64')
    // With no setting run again (a billed endpoint), the fastest other one.
    const once = points.map((p) => ({ ...p, runs: [pointRateOf(p)] }))
    expect(nearestRival(once[0] as TunePoint, once)).toMatchObject({ threads: 2, concurrency: 32 })
  })

  it('prefers fewer threads and less concurrency when throughput is within 3%', () => {
    const analysis = analyzeSweep([point(1, 32, 30), point(2, 32, 30.5), point(1, 64, 30.4)], 2)
    expect(analysis.best).toMatchObject({ threads: 1, concurrency: 32 })
  })

  it('finds the plateau and blames throttling when throttled calls rise past it', () => {
    const curve = [
      point(2, 4, 3.9),
      point(2, 8, 7.8),
      point(2, 16, 10, { requests: 80, throttled: 16 }),
      point(2, 32, 10.2, { requests: 200, throttled: 72 }),
    ]
    const plateau = findPlateau(curve, 1000, 2)
    expect(plateau?.at.concurrency).toBe(16)
    expect(plateau?.cause).toBe('throttling')
    expect(plateau?.throttledShare).toBeCloseTo(0.36, 2)
    // 10.2 pages/s accepted = 612 requests a minute: the quota the user sees.
    expect(plateau?.acceptedPerMinute).toBe(612)
  })

  it('recommends the setting where throttling flattens the curve, not the last few percent past it', () => {
    const analysis = analyzeSweep(
      [point(2, 8, 6.4), point(2, 16, 7.9, { requests: 54, throttled: 6 }), point(2, 32, 8.3, { requests: 121, throttled: 25 }), point(2, 64, 8.9, { requests: 250, throttled: 58 })],
      2,
    )
    expect(analysis.plateau?.cause).toBe('throttling')
    expect(analysis.best.concurrency).toBe(16)
  })

  it('blames the CPU when the cores are busy and nothing is throttled', () => {
    const busy = (c: number, rate: number): TunePoint => {
      const p = point(2, c, rate)
      return { ...p, cpuMs: p.wallMs * 1.9 }
    }
    const plateau = findPlateau([point(2, 8, 7.8), busy(16, 9), busy(32, 9.1)], 1000, 2)
    expect(plateau?.cause).toBe('cpu')
  })

  it('reports no plateau while throughput keeps growing', () => {
    expect(findPlateau([point(1, 1, 1), point(1, 2, 1.95), point(1, 4, 3.9)], 1000, 2)).toBeUndefined()
  })
})

describe('the tune grid', () => {
  it('pairs every thread count with the concurrencies it can use, rounds × concurrency pages each', () => {
    const settings = tuneSettings({ threads: [1, 2], concurrency: [1, 4], rounds: 3 })
    expect(settings).toEqual([
      { threads: 1, concurrency: 1, pages: 3 },
      { threads: 1, concurrency: 4, pages: 12 },
      { threads: 2, concurrency: 4, pages: 12 },
    ])
  })
})
