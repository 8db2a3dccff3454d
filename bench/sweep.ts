import { inFlightNeeded, median, round, threadsNeeded } from './stats.js'

/** One setting of a tune sweep, as measured. */
export interface TunePoint {
  threads: number
  concurrency: number
  pages: number
  wallMs: number
  /** Pages that ended ok, per second of wall time (failed pages are not throughput). */
  pagesPerSec: number
  /** Pages/s once warm (stats.steadyPagesPerSec), median over the runs; undefined when a run was one round. */
  steadyPagesPerSec?: number | undefined
  /** Steady (else overall) pages/s of each run of this setting: the spread behind a claim that it beats another. */
  runs?: number[] | undefined
  /** From the run's start until its first thread could take a page; null when it started none. */
  threadsReadyMs?: number | null | undefined
  /** Cores the page server kept busy during the run (undefined where unknown). */
  pageServerCores?: number | undefined
  /** Median page time, start to record. */
  p50PageMs: number
  /** Median model call time, retries included. */
  p50ModelMs: number
  cpuMs: number
  /** Model requests the endpoint saw (emulator only; null for a real endpoint). */
  requests: number | null
  /** Of those, answered with ThrottlingException. */
  throttled: number | null
  failed: number
  errors: Record<string, number>
}

export interface SweepAnalysis {
  /** The recommended setting. */
  best: TunePoint
  /** The highest throughput measured (the same as `best` unless throttling made a smaller setting the better choice). */
  fastest: TunePoint
  /** Model latency measured at the lowest concurrency (no queueing, no throttling). */
  latencyMs: number
  /** A whole page (fetch, extraction, model) at the lowest concurrency: how long it holds its slot. */
  pageMs: number
  /** The least CPU per page any setting spent. */
  cpuMsPerPage: number
  /** Little's law at the best throughput: calls in flight needed, threads' worth of CPU needed. */
  inFlightNeeded: number
  coresNeeded: number
  /** The best thread count's curve, by concurrency. */
  curve: TunePoint[]
  /** Where doubling concurrency stopped adding at least `PLATEAU_GAIN` of throughput; undefined if it never did. */
  plateau: { at: TunePoint; cause: 'throttling' | 'cpu' | 'endpoint-latency' | 'unknown'; acceptedPerMinute: number; throttledShare: number } | undefined
}

/** Under throttling, the plateau's setting is recommended when it reaches this share of the fastest. */
const QUOTA_SHARE = 0.85
/** A doubling of concurrency that adds less than this share of throughput is a plateau. */
export const PLATEAU_GAIN = 0.1
/** Throttled share past which throttling is the plateau's cause. */
const THROTTLED_CAUSE = 0.05
/** CPU busy share (of all cores) past which the machine is the cause. */
const CPU_CAUSE = 0.8
/** Model latency this much above the uncontended one means the endpoint slows under load. */
const LATENCY_CAUSE = 1.5

/** The rate a setting is judged by: its steady state where it has one (a long run's pace), else pages over wall. */
export function pointRate(point: TunePoint): number {
  return point.steadyPagesPerSec ?? point.pagesPerSec
}

/**
 * Time a run loses to start-up (process, threads, cold code) against running at its steady
 * pace from the first moment: wall − pages ÷ steady rate. Undefined without a steady rate.
 */
export function startupLossMs(point: TunePoint): number | undefined {
  if (point.steadyPagesPerSec === undefined || point.steadyPagesPerSec <= 0) return undefined
  return Math.max(0, point.wallMs - (point.pages * 1000) / point.steadyPagesPerSec)
}

/**
 * How long a run must be for `many` threads to repay their start against `one`: the pages at
 * which their wall times meet (start-up loss + pages ÷ steady rate). Infinity when the
 * threads are no faster at steady state; 0 when they lose nothing at start-up.
 */
export function paybackPages(one: TunePoint, many: TunePoint): number | undefined {
  const lossOne = startupLossMs(one)
  const lossMany = startupLossMs(many)
  if (lossOne === undefined || lossMany === undefined) return undefined
  const gainPerPageMs = 1000 / pointRate(one) - 1000 / pointRate(many)
  if (gainPerPageMs <= 0) return Number.POSITIVE_INFINITY
  return Math.max(0, (lossMany - lossOne) / gainPerPageMs)
}

/**
 * Whether `a` beats `b` beyond run-to-run noise: every run of `a` faster than every run of
 * `b`, each run at least twice; 'level' when they overlap, 'unknown' with one run.
 */
export function rankPoints(a: TunePoint, b: TunePoint): 'faster' | 'slower' | 'level' | 'unknown' {
  const ra = a.runs ?? [pointRate(a)]
  const rb = b.runs ?? [pointRate(b)]
  if (ra.length < 2 || rb.length < 2) return 'unknown'
  if (Math.min(...ra) > Math.max(...rb)) return 'faster'
  if (Math.max(...ra) < Math.min(...rb)) return 'slower'
  return 'level'
}

export function throttledShare(point: TunePoint): number {
  return point.requests !== null && point.requests > 0 && point.throttled !== null ? point.throttled / point.requests : 0
}

/**
 * Picks the best setting and explains the curve. Ties within 3% go to the setting with
 * fewer threads and less concurrency: the same throughput for less memory and fewer
 * sockets. When throttling flattens the curve, the setting where it flattens wins.
 */
export function analyzeSweep(points: readonly TunePoint[], cores: number): SweepAnalysis {
  if (points.length === 0) throw new RangeError('a sweep needs at least one point')
  const top = Math.max(...points.map(pointRate))
  const fastest = [...points].filter((p) => pointRate(p) >= top * 0.97).sort((a, b) => a.threads * 1000 + a.concurrency - (b.threads * 1000 + b.concurrency))[0] as TunePoint
  const lowest = Math.min(...points.map((p) => p.concurrency))
  const latencyMs = median(points.filter((p) => p.concurrency === lowest).map((p) => p.p50ModelMs))
  const pageMs = median(points.filter((p) => p.concurrency === lowest).map((p) => p.p50PageMs))
  const cpuMsPerPage = Math.min(...points.map((p) => p.cpuMs / Math.max(1, p.pages)))
  const curve = points.filter((p) => p.threads === fastest.threads).sort((a, b) => a.concurrency - b.concurrency)
  const plateau = findPlateau(curve, latencyMs, cores)
  // Against a quota, the last setting before the plateau gets nearly as much for far fewer
  // throttled calls (and retries): recommend it rather than the last few percent.
  const best = plateau?.cause === 'throttling' && pointRate(plateau.at) >= QUOTA_SHARE * pointRate(fastest) ? plateau.at : fastest
  return {
    best,
    fastest,
    latencyMs,
    pageMs,
    cpuMsPerPage,
    inFlightNeeded: inFlightNeeded(pointRate(best), pageMs),
    coresNeeded: threadsNeeded(pointRate(best), cpuMsPerPage),
    curve,
    plateau,
  }
}

/** The first point after which more concurrency adds (nearly) nothing, and why. */
export function findPlateau(curve: readonly TunePoint[], latencyMs: number, cores: number): SweepAnalysis['plateau'] {
  for (let i = 0; i + 1 < curve.length; i++) {
    const here = curve[i] as TunePoint
    const next = curve[i + 1] as TunePoint
    // Per doubling: a step from 16 to 64 must add more than a step from 16 to 32.
    const doublings = Math.max(1, Math.log2(next.concurrency / here.concurrency))
    if (pointRate(next) >= pointRate(here) * (1 + PLATEAU_GAIN) ** doublings) continue
    const beyond = curve.slice(i + 1)
    const share = Math.max(...beyond.map(throttledShare))
    const cpuBusy = Math.max(...beyond.map((p) => p.cpuMs / p.wallMs / cores))
    const slower = Math.max(...beyond.map((p) => p.p50ModelMs)) / latencyMs
    const cause = share > THROTTLED_CAUSE ? 'throttling' : cpuBusy > CPU_CAUSE ? 'cpu' : slower > LATENCY_CAUSE ? 'endpoint-latency' : 'unknown'
    // What the endpoint accepted per minute at the plateau: with throttling, that is the quota.
    const accepted = Math.max(...beyond.map((p) => ((p.pages - p.failed) / p.wallMs) * 60_000))
    return { at: here, cause, acceptedPerMinute: round(accepted), throttledShare: share }
  }
  return undefined
}
