import { costOf } from '../src/batch/cost.js'
import { DEFAULT_MODEL } from '../src/options.js'
import type { RunSample } from './run-once.js'
import { coresUsed, efficiency, idealMs, median, pagesPerSec, percentile, round, speedup, steadyPagesPerSec, type Spread } from './stats.js'
import { familyOf, isParallel, isSerial, type RowPlan, type Workload } from './workloads.js'

/** One row of `--json`: exactly these keys, in this order. */
export interface BenchRow {
  workload: string
  strategy: string
  threads: number
  concurrency: number
  pages: number
  /** Median wall time over the runs. */
  wallMs: number
  /** The least wall time the workload allows this setting (see stats.idealMs). */
  idealMs: number
  /** idealMs / wallMs. */
  efficiency: number
  pagesPerSec: number
  /** Pages/s after the warm-up share of pages (stats.steadyPagesPerSec), median over the runs; null for a run of one round. */
  steadyPagesPerSec: number | null
  /** Start-up, medians over the runs: the process until the run's clock started (module loading; a ceiling's thread warm-up). */
  processStartMs: number | null
  /** From the run's start until its first thread could take a page; null when it started none. */
  threadsReadyMs: number | null
  /** From the run's start until its first page ended. */
  firstPageMs: number
  /** Model tokens a page that ended ok, and what 1,000 pages cost at the model's on-demand price (src/batch/cost.ts); null offline. */
  inputTokensPerPage: number | null
  outputTokensPerPage: number | null
  usdPer1000Pages: number | null
  /** Per-page latency (start to record), over every page of every run. */
  p50Ms: number
  p95Ms: number
  /** Median CPU time of a run, all threads. */
  cpuMs: number
  /** Highest peak RSS of a run's process. */
  peakRssMb: number
  /** Median over runs of the main thread's event-loop delay p99; null for Python. */
  eventLoopP99Ms: number | null
}

export const ROW_KEYS = [
  'workload', 'strategy', 'threads', 'concurrency', 'pages', 'wallMs', 'idealMs', 'efficiency', 'pagesPerSec', 'steadyPagesPerSec',
  'processStartMs', 'threadsReadyMs', 'firstPageMs', 'inputTokensPerPage', 'outputTokensPerPage', 'usdPer1000Pages',
  'p50Ms', 'p95Ms', 'cpuMs', 'peakRssMb', 'eventLoopP99Ms',
] as const satisfies ReadonlyArray<keyof BenchRow>

/** What a row measured, before any arithmetic. */
export interface Measured {
  plan: RowPlan
  samples: RunSample[]
  /** Cores other programs kept busy during each run (empty where it cannot be measured). */
  otherCores: number[]
  /** Cores the page server kept busy during each run (empty where it cannot be measured). */
  pageServerCores: number[]
  /** Wall time over the runs, as tinybench computed it from each run's own measurement. */
  wall: { median: number } & Spread
}

/** A row with what the table shows beyond the JSON keys. */
export interface RowResult {
  row: BenchRow
  wallMinMs: number
  wallMaxMs: number
  /** Throughput over the workload's `sequential` row; NaN without one. */
  speedup: number
  runs: number
  /** Pages that failed, over every run, by error code. */
  failed: number
  errors: Record<string, number>
  /** The slowest single page of a run, median over the runs (for `seed`: "within 10% of the slowest page"). */
  slowestPageMs: number
  /** Sum of a run's per-page times, median over the runs (for `seed`: "sequential the sum"). */
  pageSumMs: number
  /** Cores other programs on the machine kept busy during the runs (median); null where unknown. */
  otherCores: number | null
  /** Cores the page server kept busy during the runs (median); null where unknown. */
  pageServerCores: number | null
  /** Steady-state pages/s of each run: the spread behind any claim that one row beats another. */
  steadyRuns: number[]
  /**
   * Share of the run the main thread was busy (event-loop utilization), median; null for
   * Python. For a pool row whose threads do the page work, what is left on the main thread
   * (fetching, handing pages over, writing records) bounds it: near 1, the main thread is
   * the limit, not the cores.
   */
  mainBusyShare: number | null
}

/**
 * Turns a workload's measurements into rows. The ideal's CPU part needs the CPU time the
 * pages themselves need: the least main-thread busy time per page of the workload's
 * `sequential` and `async` rows, where all page work runs on the main thread. Process CPU
 * time would overstate it: it also counts V8's GC and compiler threads, which run beside
 * the main thread (a sequential run spends about 1.25 s of CPU per second of wall time here). A
 * setting that spends more (threads starting, contention) is charged for it. Python rows
 * do other work (html.parser) under the GIL: their own CPU time is their bound. The fetch
 * part is one uncontended fetch: the sequential row's median.
 */
export function deriveRows(workload: Workload, measured: readonly Measured[], machineCores: number): RowResult[] {
  const inline = measured.filter((m) => m.plan.strategy === 'sequential' || m.plan.strategy === 'async')
  // Event-loop utilisation counts as busy the time the OS gave the core to another program;
  // the process's CPU time does not. On a busy machine the first alone made the CPU bound larger
  // than the rows that ran in a quieter moment took in all (efficiency 1.9 and 2.6 in
  // test/bench-run.test.ts with the suite and two `yes` sharing 2 cores): the main thread's
  // work is never more than its process's CPU time.
  const busyPerPage = inline.map((m) => median(m.samples.map((s) => (s.mainBusyMs === null ? Number.NaN : Math.min(s.mainBusyMs, s.cpuMs)))) / m.plan.pages).filter(Number.isFinite)
  const workPerPageMs = busyPerPage.length > 0 ? Math.min(...busyPerPage) : undefined
  const sequential = measured.find((m) => m.plan.strategy === 'sequential')
  const fetchBase = sequential ?? measured[0]
  const fetchMs = fetchBase === undefined ? 0 : median(fetchBase.samples.flatMap((s) => s.fetchMs))
  const rows = measured.map((m): RowResult => {
    const { plan, samples } = m
    const cores = coresUsed(isParallel(plan.strategy) ? 'parallel' : 'single', plan.threads, machineCores)
    const cpuMs = median(samples.map((s) => s.cpuMs))
    const workCpuMs = familyOf(plan.strategy) !== 'python' && workPerPageMs !== undefined ? workPerPageMs * plan.pages : cpuMs
    const ideal = idealMs({ pages: plan.pages, concurrency: plan.concurrency, latencyMs: workload.latencyMs, fetchMs, cpuMs: workCpuMs, cores, overlaps: !isSerial(plan.strategy) })
    const pageMs = samples.flatMap((s) => s.pageMs)
    const loop = samples.map((s) => s.eventLoopP99Ms).filter((v): v is number => v !== null)
    const errors: Record<string, number> = {}
    for (const sample of samples) for (const [code, n] of Object.entries(sample.errors)) errors[code] = (errors[code] ?? 0) + n
    const steadyRuns = samples.map((s) => steadyPagesPerSec(s.doneMs, plan.concurrency)).filter(Number.isFinite)
    const ok = samples.reduce((n, s) => n + s.ok, 0)
    const tokens = workload.latencyMs > 0 && ok > 0 ? { inputTokens: samples.reduce((n, s) => n + s.inputTokens, 0) / ok, outputTokens: samples.reduce((n, s) => n + s.outputTokens, 0) / ok } : undefined
    const usd = tokens === undefined ? undefined : costOf(DEFAULT_MODEL, { inputTokens: tokens.inputTokens * 1000, outputTokens: tokens.outputTokens * 1000 }).onDemandUsd
    const medianOrNull = (values: Array<number | null>): number | null => {
      const known = values.filter((v): v is number => v !== null)
      return known.length === 0 ? null : round(median(known))
    }
    return {
      row: {
        workload: plan.workload,
        strategy: plan.strategy,
        threads: plan.threads,
        concurrency: plan.concurrency,
        pages: plan.pages,
        wallMs: round(m.wall.median),
        idealMs: round(ideal),
        efficiency: round(efficiency(ideal, m.wall.median), 2),
        pagesPerSec: round(pagesPerSec(plan.pages, m.wall.median)),
        steadyPagesPerSec: steadyRuns.length === 0 ? null : round(median(steadyRuns)),
        processStartMs: medianOrNull(samples.map((s) => s.processStartMs)),
        threadsReadyMs: medianOrNull(samples.map((s) => s.threadsReadyMs)),
        firstPageMs: round(median(samples.map((s) => (s.doneMs.length === 0 ? Number.NaN : Math.min(...s.doneMs))))),
        inputTokensPerPage: tokens === undefined ? null : round(tokens.inputTokens),
        outputTokensPerPage: tokens === undefined ? null : round(tokens.outputTokens),
        usdPer1000Pages: usd === undefined ? null : round(usd),
        p50Ms: round(percentile(pageMs, 50)),
        p95Ms: round(percentile(pageMs, 95)),
        cpuMs: round(cpuMs),
        peakRssMb: round(Math.max(...samples.map((s) => s.peakRssMb))),
        eventLoopP99Ms: loop.length === 0 ? null : round(median(loop), 2),
      },
      wallMinMs: round(m.wall.min),
      wallMaxMs: round(m.wall.max),
      speedup: Number.NaN,
      runs: samples.length,
      failed: samples.reduce((n, s) => n + s.failed, 0),
      errors,
      slowestPageMs: median(samples.map((s) => (s.pageMs.length === 0 ? Number.NaN : Math.max(...s.pageMs)))),
      pageSumMs: median(samples.map((s) => s.pageMs.reduce((a, b) => a + b, 0))),
      otherCores: m.otherCores.length === 0 ? null : round(median(m.otherCores), 2),
      pageServerCores: m.pageServerCores.length === 0 ? null : round(median(m.pageServerCores), 2),
      steadyRuns,
      mainBusyShare: medianOrNull(samples.map((s) => (s.mainBusyMs === null ? null : s.mainBusyMs / s.wallMs))),
    }
  })
  const baseline = rows.find((r) => r.row.strategy === 'sequential')
  for (const r of rows) r.speedup = baseline === undefined ? Number.NaN : round(speedup(pagesPerSec(r.row.pages, r.row.wallMs), pagesPerSec(baseline.row.pages, baseline.row.wallMs)), 3)
  return rows
}

/** The JSON object of a row, keys in the documented order and nothing else. */
export function jsonRow(row: BenchRow): BenchRow {
  return Object.fromEntries(ROW_KEYS.map((key) => [key, row[key]])) as unknown as BenchRow
}
