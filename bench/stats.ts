/**
 * The benchmark's arithmetic, as pure functions: percentiles, the ideal (lower-bound) time
 * a workload allows, efficiency, speed-up and Little's law. Nothing here measures anything;
 * everything here is unit-tested with known answers.
 */

/**
 * The `p`-th percentile (0 to 100) of `values`, by linear interpolation between the two
 * nearest ranks (Hyndman & Fan type 7: numpy's default, Excel's PERCENTILE.INC). The input
 * need not be sorted and is not modified. NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got \`${String(p)}\``)
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const below = Math.floor(rank)
  const lower = sorted[below] as number
  const upper = sorted[Math.min(below + 1, sorted.length - 1)] as number
  return lower + (upper - lower) * (rank - below)
}

export function median(values: readonly number[]): number {
  return percentile(values, 50)
}

export interface Spread {
  min: number
  max: number
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { min: Number.NaN, max: Number.NaN }
  return { min: Math.min(...values), max: Math.max(...values) }
}

/** Share of a run's pages counted as warm-up before its steady-state rate is read. */
export const WARMUP_SHARE = 0.2

/**
 * Pages per second once a run is warm: from the moment its first WARMUP_SHARE of pages had
 * ended (rounded up to whole rounds of `concurrency`, so the bursts of replies of a
 * model-bound run do not skew it) to the moment the last ended. `doneMs` are the pages' end
 * times from the run's start, in any order. NaN when fewer than two pages end after the
 * warm-up (a run of one round has no steady state to read).
 */
export function steadyPagesPerSec(doneMs: readonly number[], concurrency: number): number {
  const done = [...doneMs].sort((a, b) => a - b)
  const n = done.length
  const round = Math.max(1, Math.min(concurrency, n))
  const warm = Math.ceil(Math.ceil(n * WARMUP_SHARE) / round) * round
  if (warm < 1 || n - warm < 2) return Number.NaN
  const from = done[warm - 1] as number
  const to = done[n - 1] as number
  return to > from ? ((n - warm) * 1000) / (to - from) : Number.NaN
}

export function pagesPerSec(pages: number, wallMs: number): number {
  return wallMs > 0 ? (pages * 1000) / wallMs : Number.NaN
}

/**
 * Speed-up over a baseline, as a ratio of throughputs rather than of wall times, so that a
 * baseline run on fewer pages (sequential on a 500-page workload runs a sample) compares
 * fairly: 2 means twice as many pages per second.
 */
export function speedup(rowPagesPerSec: number, baselinePagesPerSec: number): number {
  return baselinePagesPerSec > 0 ? rowPagesPerSec / baselinePagesPerSec : Number.NaN
}

/**
 * Lower bound for model-bound work: `concurrency` calls run side by side, so `pages` calls
 * take at least ceil(pages / concurrency) rounds of `latencyMs`, plus one page fetch before
 * the first call can start. 0 when there is no model latency (the offline summarizer).
 */
export function modelBoundMs(pages: number, concurrency: number, latencyMs: number, fetchMs: number): number {
  if (latencyMs <= 0 || pages <= 0) return 0
  return Math.ceil(pages / Math.max(1, concurrency)) * latencyMs + fetchMs
}

/**
 * Cores a strategy can keep busy: `pool` up to one per thread (never more than the machine
 * has); everything that runs its CPU work on one thread (`sequential`, `async`, a p-limit
 * loop, Python threads under the GIL) one.
 */
export function coresUsed(kind: 'parallel' | 'single', threads: number, cores: number): number {
  return kind === 'parallel' ? Math.max(1, Math.min(threads, cores)) : 1
}

/** Lower bound for CPU-bound work: the CPU time the pages need, spread evenly over the cores used. */
export function cpuBoundMs(cpuMs: number, cores: number): number {
  return cpuMs > 0 ? cpuMs / Math.max(1, cores) : 0
}

export interface IdealInput {
  pages: number
  concurrency: number
  /** Mean model latency per call; 0 for the offline summarizer. */
  latencyMs: number
  /** One uncontended page fetch. */
  fetchMs: number
  /** CPU time the pages need, in total (all threads). */
  cpuMs: number
  /** From `coresUsed()`. */
  cores: number
  /**
   * Whether page work can run while model calls wait. False for a serial row (one page at a
   * time): its CPU adds to its waiting. Default true.
   */
  overlaps?: boolean
}

/**
 * The least wall time the workload allows this setting: the larger of the model-bound and
 * the CPU-bound lower bounds (the run cannot beat either), or their sum for a serial row,
 * which waits for each call before it works on the next page.
 */
export function idealMs(input: IdealInput): number {
  const model = modelBoundMs(input.pages, input.concurrency, input.latencyMs, input.fetchMs)
  const cpu = cpuBoundMs(input.cpuMs, input.cores)
  return input.overlaps === false ? model + cpu : Math.max(model, cpu)
}

/**
 * What a scheduler with no overhead at all would take for `pages` model calls, `concurrency`
 * at a time, when each call takes `latencyMs` ± `jitterMs` (uniform, as the emulator draws
 * it): the median over `trials` simulated runs, each call starting as one ends. The ideal
 * ignores jitter, so a page that draws the long end in the last round sets the wall time:
 * this says how close to the ideal any strategy can get (500 calls at 50, 1 s ± 10%: 0.96).
 * A fixed seed keeps it the same from run to run.
 */
export function jitteredBestMs(pages: number, concurrency: number, latencyMs: number, jitterMs: number, trials = 200): number {
  if (latencyMs <= 0 || pages <= 0) return 0
  let seed = 0x9e3779b9
  // mulberry32: small, seeded, uniform enough for a median.
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const spans: number[] = []
  for (let trial = 0; trial < trials; trial++) {
    const slots = new Array<number>(Math.max(1, Math.min(concurrency, pages))).fill(0)
    for (let page = 0; page < pages; page++) {
      let free = 0
      for (let i = 1; i < slots.length; i++) if ((slots[i] as number) < (slots[free] as number)) free = i
      slots[free] = (slots[free] as number) + latencyMs - jitterMs + random() * 2 * jitterMs
    }
    spans.push(Math.max(...slots))
  }
  return median(spans)
}

/** Ideal over actual: 1 is as fast as the workload allows, 0.5 took twice as long. */
export function efficiency(idealWallMs: number, actualWallMs: number): number {
  return actualWallMs > 0 && idealWallMs > 0 ? idealWallMs / actualWallMs : Number.NaN
}

/**
 * Little's law, L = λW: to sustain `pagesPerSec` when each model call takes `latencyMs`,
 * this many calls must be in flight on average.
 */
export function inFlightNeeded(pagesPerSec: number, latencyMs: number): number {
  return (pagesPerSec * latencyMs) / 1000
}

/** The same law for CPU: `cpuMsPerPage` of work at `pagesPerSec` keeps this many cores busy. */
export function threadsNeeded(pagesPerSec: number, cpuMsPerPage: number): number {
  return (pagesPerSec * cpuMsPerPage) / 1000
}

/** Rounds for display and JSON: 3 significant digits for small numbers, whole numbers from 1000 on. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value
  if (Math.abs(value) >= 1000) return Math.round(value)
  return Number(value.toPrecision(digits))
}
