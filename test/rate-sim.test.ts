import { describe, expect, it } from 'vitest'
import { mostIn, simulate, type SimServer } from '../bench/rate-sim.js'

// Issue 17's scenarios at their full scale (180-300 pages, 60 s windows), in simulated time:
// the run's real rate controller, retry policy and call path against the emulator's own quota
// bucket and fault dice (bench/rate-sim.ts). Twenty seeds each: a controller is judged on the
// spread of its runs, not on one lucky one. Load on the machine cannot change a figure here;
// the same scenarios over HTTP are `npm run bench:resilience`.

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1)
/** The fault-free run: 3.3 s for 180 pages at 32 in flight, about half a second a page outside the model call. */
const PREPARE_MS = 500

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2
}

async function wallRatios(server: Omit<SimServer, 'seed'>, faults: Partial<SimServer>, pages: number, prepareMs = 0) {
  const runs = []
  for (const seed of SEEDS) {
    const clean = await simulate({ ...server, seed }, [{ pages, concurrency: 32, prepareMs }])
    const faulty = await simulate({ ...server, ...faults, seed }, [{ pages, concurrency: 32, prepareMs }])
    const run = faulty.runs[0]!
    runs.push({ ratio: run.wallMs / clean.runs[0]!.wallMs, ok: run.ok / pages, stats: run.stats })
  }
  return runs
}

describe('the rate controller at the issue scale, in simulated time', () => {
  it('keeps the pace of a run whose throttles are random: 20% 429s, 5% 5xx, 2% resets, no quota', async () => {
    const runs = await wallRatios({ latencyMs: 50, jitterMs: 50 }, { throttleRate: 0.2, errorRate: 0.05, resetRate: 0.02 }, 180, PREPARE_MS)
    for (const run of runs) expect(run.ok).toBeGreaterThanOrEqual(0.99)
    // The target is 3× the fault-free wall (the arithmetic ideal about 1.4×); the
    // controller before it took 6-100× (median 12) here. Measured: median 1.2, 19 of 20 within 3×.
    expect(median(runs.map((r) => r.ratio))).toBeLessThanOrEqual(1.5)
    expect(runs.filter((r) => r.ratio <= 3).length).toBeGreaterThanOrEqual(18)
    // And it says why: throttles random, `--concurrency` kept.
    const random = runs.filter((r) => r.stats.verdict.kind === 'random' && r.stats.limit === 32)
    expect(random.length).toBeGreaterThanOrEqual(18)
  }, 120_000)

  it('keeps 1 s model calls at full concurrency through 10% random 429s', async () => {
    const runs = await wallRatios({ latencyMs: 1000, jitterMs: 200 }, { throttleRate: 0.1 }, 300)
    // The target, every seed (the controller before it: 5 of 20, up to 7.6×).
    for (const run of runs) {
      expect(run.ok).toBeGreaterThanOrEqual(0.99)
      expect(run.ratio).toBeLessThanOrEqual(1.5)
    }
  }, 120_000)

  it('still holds a quota through a storm of faults, without crawling under it', async () => {
    // --rpm 120, 20% random 429s, 5% 5xx, 2% resets, 300±100 ms calls, 200 pages, no --rpm given.
    const shares: number[] = []
    const walls: number[] = []
    for (const seed of SEEDS) {
      const r = await simulate({ rpm: [{ atMs: 0, rpm: 120 }], throttleRate: 0.2, errorRate: 0.05, resetRate: 0.02, latencyMs: 300, jitterMs: 100, seed }, [{ pages: 200, concurrency: 16 }])
      expect(r.runs[0]!.ok / 200).toBeGreaterThanOrEqual(0.99)
      shares.push(mostIn(r.arrivals, 60_000) / 120)
      walls.push(r.runs[0]!.wallMs)
    }
    // The 110% of the quota in any 60 s: measured 19 of 20 seeds, the worst 1.15.
    expect(shares.filter((s) => s <= 1.1).length).toBeGreaterThanOrEqual(18)
    expect(Math.max(...shares)).toBeLessThanOrEqual(1.2)
    // 200 pages at 120 a minute less 20% random throttles take 125 s at best. The controller
    // before this one took a median of 630 s; this one 253 s (some seeds still take 5-8×).
    expect(median(walls)).toBeLessThanOrEqual(2.5 * 125_000)
  }, 120_000)

  it('two runs on one quota lose no page: a run whose calls are nearly all refused at every pace paces, it does not flood', async () => {
    // Two runs 5 s apart, 150 pages each, --rpm 240, 10% random 429s, 300 ms calls. The
    // issue's targets here (each within 1.1 of the quota, the later within 1.5x of the
    // earlier) are not met yet (7 of 20 seeds). What must hold: before this rule, seed 6's
    // second run called 85% refused "random", went unpaced at 30 calls a second into the
    // quota of 4 and lost 54 of its 150 pages to throttles that ran out of retries (803
    // requests in a minute).
    for (const seed of SEEDS) {
      const r = await simulate({ rpm: [{ atMs: 0, rpm: 240 }], throttleRate: 0.1, latencyMs: 300, seed }, [
        { pages: 150, concurrency: 16 },
        { pages: 150, concurrency: 16, startMs: 5000 },
      ])
      for (const run of r.runs) expect(run.ok).toBeGreaterThanOrEqual(148)
      expect(mostIn(r.arrivals, 60_000)).toBeLessThanOrEqual(1.5 * 240)
    }
  }, 120_000)

  it('a run alone on the peer board paces exactly as one without it', async () => {
    // Sharing changes nothing for a run that never meets another: the same storm and random
    // throttles, the same requests at the same times.
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const server of [
        { rpm: [{ atMs: 0, rpm: 120 }], throttleRate: 0.2, errorRate: 0.05, resetRate: 0.02, latencyMs: 300, jitterMs: 100, seed },
        { throttleRate: 0.2, errorRate: 0.05, resetRate: 0.02, latencyMs: 50, jitterMs: 50, seed },
      ]) {
        const alone = await simulate(server, [{ pages: 120, concurrency: 16 }])
        const posting = await simulate(server, [{ pages: 120, concurrency: 16, onThisMachine: true }])
        expect(posting.arrivals, `seed ${seed}`).toEqual(alone.arrivals)
      }
    }
  }, 120_000)

  it('two runs on one machine share the quota through the peer board: together under 110% of it, the later within 1.5× of the earlier', async () => {
    // The same two runs, each posting what it learned (peers.ts): the later one starts at its
    // share instead of bursting, and both pace at half the quota the group found. Learning
    // blind (the test above) meets both targets in 7 of 20 seeds; sharing, in every one.
    for (const seed of SEEDS) {
      const r = await simulate({ rpm: [{ atMs: 0, rpm: 240 }], throttleRate: 0.1, latencyMs: 300, seed }, [
        { pages: 150, concurrency: 16, onThisMachine: true },
        { pages: 150, concurrency: 16, startMs: 5000, onThisMachine: true },
      ])
      const [a, b] = r.runs as [(typeof r.runs)[0], (typeof r.runs)[0]]
      expect.soft(Math.min(a.ok, b.ok), `seed ${seed}: pages answered`).toBeGreaterThanOrEqual(149)
      expect.soft(mostIn(r.arrivals, 60_000), `seed ${seed}: most requests in 60 s`).toBeLessThanOrEqual(264)
      expect.soft(b.wallMs / a.wallMs, `seed ${seed}: later wall / earlier wall`).toBeLessThanOrEqual(1.5)
      expect.soft(b.stats.peers.most, `seed ${seed}: the later run saw the earlier one`).toBe(1)
    }
  }, 120_000)
})
