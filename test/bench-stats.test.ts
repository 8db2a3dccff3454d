import { describe, expect, it } from 'vitest'
import {
  coresUsed,
  cpuBoundMs,
  efficiency,
  idealMs,
  jitteredBestMs,
  inFlightNeeded,
  median,
  modelBoundMs,
  pagesPerSec,
  percentile,
  round,
  speedup,
  spread,
  threadsNeeded,
} from '../bench/stats.js'

describe('percentiles interpolate between the nearest ranks (type 7, as numpy)', () => {
  it('gives the known answers on 1..10', () => {
    const values = [7, 1, 10, 3, 5, 2, 9, 4, 8, 6]
    expect(percentile(values, 0)).toBe(1)
    expect(percentile(values, 100)).toBe(10)
    expect(percentile(values, 50)).toBe(5.5)
    expect(percentile(values, 95)).toBeCloseTo(9.55, 10)
    expect(percentile(values, 90)).toBeCloseTo(9.1, 10)
    expect(percentile(values, 25)).toBeCloseTo(3.25, 10)
  })

  it('gives the median of an odd list as its middle value and does not reorder the input', () => {
    const values = [30, 10, 20]
    expect(median(values)).toBe(20)
    expect(values).toEqual([30, 10, 20])
  })

  it('returns the only value of a one-element list and NaN for an empty one', () => {
    expect(percentile([42], 95)).toBe(42)
    expect(percentile([], 50)).toBeNaN()
  })

  it('refuses a percentile outside 0 to 100, naming it', () => {
    expect(() => percentile([1], 101)).toThrow(/percentile must be from 0 to 100, got `101`/)
  })

  it('reports the spread as min and max', () => {
    expect(spread([3, 1, 2])).toEqual({ min: 1, max: 3 })
  })
})

describe('ideal time is the larger of the model-bound and CPU-bound lower bounds', () => {
  it('model-bound: ceil(N / concurrency) rounds of latency plus one fetch', () => {
    // 500 pages, 50 at a time: 10 rounds of 1 s, plus a 5 ms fetch.
    expect(modelBoundMs(500, 50, 1000, 5)).toBe(10_005)
    // 5 pages, 5 at a time: one round, as the write-up's ThreadPoolExecutor.
    expect(modelBoundMs(5, 5, 3400, 0)).toBe(3400)
    // A partial last round still costs a whole latency.
    expect(modelBoundMs(11, 5, 100, 0)).toBe(300)
    expect(modelBoundMs(5, 1, 3400, 0)).toBe(17_000)
  })

  it('model-bound is 0 without a model (the offline summarizer)', () => {
    expect(modelBoundMs(270, 16, 0, 3)).toBe(0)
  })

  it('CPU-bound: the CPU time the pages need over the cores that can run it', () => {
    expect(cpuBoundMs(8000, 2)).toBe(4000)
    expect(cpuBoundMs(8000, 1)).toBe(8000)
  })

  it('counts a pool as up to one core a thread, never more than the machine has; inline strategies as one', () => {
    expect(coresUsed('parallel', 2, 2)).toBe(2)
    expect(coresUsed('parallel', 8, 2)).toBe(2)
    expect(coresUsed('parallel', 1, 8)).toBe(1)
    expect(coresUsed('single', 8, 8)).toBe(1)
  })

  it('takes whichever bound is larger', () => {
    expect(idealMs({ pages: 500, concurrency: 50, latencyMs: 1000, fetchMs: 5, cpuMs: 2000, cores: 1 })).toBe(10_005)
    expect(idealMs({ pages: 360, concurrency: 64, latencyMs: 1000, fetchMs: 5, cpuMs: 12_000, cores: 1 })).toBe(12_000)
    expect(idealMs({ pages: 360, concurrency: 64, latencyMs: 1000, fetchMs: 5, cpuMs: 14_000, cores: 2 })).toBe(7000)
  })

  it("says how close the emulator's jitter lets a scheduler with no overhead get to the ideal", () => {
    // 10 rounds of 1 s ± 10% at 50 in flight: the slowest of 50 slots runs past 10 s.
    const full = jitteredBestMs(500, 50, 1000, 100)
    expect(full).toBeGreaterThan(10_200)
    expect(full).toBeLessThan(10_600)
    expect(jitteredBestMs(500, 50, 1000, 100)).toBe(full)
    expect(jitteredBestMs(500, 50, 1000, 0)).toBe(10_000)
    expect(jitteredBestMs(5, 5, 0, 0)).toBe(0)
  })

  it('adds the bounds for a serial row, which cannot work while it waits for a call', () => {
    expect(idealMs({ pages: 8, concurrency: 1, latencyMs: 20, fetchMs: 2, cpuMs: 160, cores: 1, overlaps: false })).toBe(322)
    expect(idealMs({ pages: 8, concurrency: 2, latencyMs: 20, fetchMs: 2, cpuMs: 160, cores: 1 })).toBe(160)
  })
})

describe('efficiency, throughput and speed-up', () => {
  it('efficiency is ideal over actual', () => {
    expect(efficiency(10_000, 11_000)).toBeCloseTo(0.909, 3)
    expect(efficiency(4000, 4000)).toBe(1)
    expect(efficiency(0, 1000)).toBeNaN()
  })

  it('throughput is pages per second of wall time', () => {
    expect(pagesPerSec(500, 10_000)).toBe(50)
    expect(pagesPerSec(5, 0)).toBeNaN()
  })

  it('speed-up compares throughputs, so a baseline run on fewer pages still compares', () => {
    // Sequential ran 10 pages in 10 s (1 page/s); async ran 500 pages in 10.5 s.
    expect(speedup(pagesPerSec(500, 10_500), pagesPerSec(10, 10_000))).toBeCloseTo(47.62, 2)
  })
})

describe("Little's law", () => {
  it('calls in flight = throughput × latency', () => {
    expect(inFlightNeeded(50, 1000)).toBe(50)
    expect(inFlightNeeded(20, 3400)).toBe(68)
  })

  it("cores kept busy = throughput × CPU per page", () => {
    expect(threadsNeeded(60, 25)).toBe(1.5)
  })
})

describe('rounding for the table and JSON', () => {
  it('keeps three significant digits below 1000 and whole numbers above', () => {
    expect(round(0.91234, 2)).toBe(0.91)
    expect(round(123.456)).toBe(123)
    expect(round(4.5678)).toBe(4.57)
    expect(round(10_432.7)).toBe(10_433)
    expect(round(Number.NaN)).toBeNaN()
  })
})

describe.skipIf(process.platform !== 'linux')('CPU time from /proc', () => {
  it("reads this process's CPU time and the machine's, both growing while this thread spins", async () => {
    const { machineBusyMs, processCpuMs } = await import('../bench/machine-load.js')
    const [machine, own] = [machineBusyMs(), processCpuMs(process.pid)]
    expect(own).toBeTypeOf('number')
    // Spin until this process has used 30 ms of CPU by its own count, not for a fixed time: on
    // a busy machine a fixed 60 ms of wall time may hold far less CPU. The deadline only
    // bounds a reader that never moves.
    // The machine's count is summed from its own ticks and may trail this process's by one or
    // two (20 against 30 seen once in CI): spin until both have moved.
    const deadline = Date.now() + 20_000
    const moved = (): boolean => (processCpuMs(process.pid) ?? 0) - (own ?? 0) >= 30 && (machineBusyMs() ?? 0) - (machine ?? 0) >= 30
    while (!moved() && Date.now() < deadline) {
      for (let i = 0; i < 100_000; i++) Math.sqrt(Math.random())
    }
    expect((processCpuMs(process.pid) ?? 0) - (own ?? 0)).toBeGreaterThanOrEqual(30)
    // The machine's busy time includes this process's.
    expect((machineBusyMs() ?? 0) - (machine ?? 0)).toBeGreaterThanOrEqual(30)
    expect(processCpuMs(2 ** 22 + 12345)).toBeUndefined()
  })

  it("counts an exited child's CPU, every thread of it, once the child is waited for", async () => {
    const { exitedChildrenCpuMs } = await import('../bench/machine-load.js')
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const before = exitedChildrenCpuMs()
    expect(before).toBeTypeOf('number')
    // A child whose worker thread spins until the process has used 300 ms of CPU by its own
    // count (a busy machine makes it slower, not shorter).
    const spin = `const { Worker } = require('node:worker_threads');
      new Worker('const u = () => { const c = process.cpuUsage(); return c.user + c.system }; while (u() < 300000) Math.sqrt(Math.random())', { eval: true })`
    await promisify(execFile)(process.execPath, ['-e', spin])
    expect((exitedChildrenCpuMs() ?? 0) - (before ?? 0)).toBeGreaterThanOrEqual(300)
  })
})
