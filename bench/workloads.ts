import { repeatTo, spreadPick, type Corpus } from './corpus.js'
import { LIGHT_PREFIX } from './page-server.js'
import type { PythonStrategy } from './peers/python.js'

export type WorkloadName = 'seed' | 'io' | 'cpu' | 'mixed'
export const WORKLOADS: readonly WorkloadName[] = ['seed', 'io', 'cpu', 'mixed']

/**
 * Probes measured beside the workloads: `startup` (the CLI's `--version` and `--help`
 * against `node -e 0`, a pool thread until it can take a page), `extract` (median CPU per
 * corpus page) and `job` (a 2,000-line offline job run by the CLI with its defaults and with
 * `--strategy async`). `--workload` takes these names too.
 */
export type ProbeName = 'startup' | 'extract' | 'job' | 'scaling'
export const PROBES: readonly ProbeName[] = ['startup', 'extract', 'job', 'scaling']

/**
 * A row's scheduler: the project's three strategies, the peers a user would otherwise pick,
 * and the ceiling (a bare worker_threads loop doing the pool's page work).
 */
export type RowStrategy =
  | 'sequential'
  | 'async'
  | 'pool'
  | 'p-limit'
  | 'ceiling'
  | 'ceiling-extract'
  | 'python-sequential'
  | 'python-gather'
  | 'python-threads'
  | 'python-to_thread'
  | 'python-readability'

/** What `--strategy` selects: a project strategy, the p-limit loop, the ceilings, or every Python row. */
export type StrategyFamily = 'sequential' | 'async' | 'pool' | 'p-limit' | 'ceiling' | 'python'
export const STRATEGY_FAMILIES: readonly StrategyFamily[] = ['sequential', 'async', 'pool', 'p-limit', 'ceiling', 'python']

/** The Node rows a user can pick without threads; the default (pool) must keep up with the fastest of them. */
export const INLINE_NODE_ROWS: readonly RowStrategy[] = ['sequential', 'async', 'p-limit']

export function familyOf(strategy: RowStrategy): StrategyFamily {
  if (strategy.startsWith('python-')) return 'python'
  return strategy === 'ceiling-extract' ? 'ceiling' : (strategy as StrategyFamily)
}

/** Rows whose page work runs on several threads at once: their CPU bound is spread over the cores they use. */
export function isParallel(strategy: RowStrategy): boolean {
  return strategy === 'pool' || strategy === 'ceiling' || strategy === 'ceiling-extract'
}

/** Rows whose page work runs on one thread at a time, serial rows (one page at a time) among them. */
export function isSerial(strategy: RowStrategy): boolean {
  return strategy === 'sequential' || strategy === 'python-sequential' || strategy === 'python-gather'
}

/** A workload at one size: which pages, what the model costs, and which settings run on it. */
export interface Workload {
  name: WorkloadName
  /** One line for the output: what the workload is and what it shows. */
  description: string
  /** Paths on the page server, in run order. */
  paths: string[]
  /** Mean emulator latency per call, after `--time-scale`; 0: the offline summarizer, no model. */
  latencyMs: number
  /** Uniform spread around `latencyMs`, after `--time-scale`. */
  jitterMs: number
  /** In-flight pages for `async` and `pool`. */
  concurrency: number[]
  /** Of those, where the peers (p-limit, Python) run too; default the highest. */
  peerConcurrency?: number[]
  /** Thread counts for `pool`. */
  threads: number[]
  /**
   * Model-bound workloads run each setting for the same number of rounds of model calls
   * (pages = rounds × concurrency, at most all of them), so sequential takes seconds and
   * not minutes; throughput and speed-up stay comparable because they are per second.
   */
  capByRounds: boolean
  /** The Python peer's strategies run on this workload (at its highest concurrency; serial ones one page at a time). */
  pythonRows: PythonStrategy[]
  /**
   * Send each distinct page through the emulator once before measuring: its canned replies
   * are ranked from the page text, which costs its process tens of ms per new page, CPU the
   * measured process would otherwise compete with on a small machine.
   */
  warmEmulator: boolean
  /** Ceiling rows: passes over the distinct pages each thread makes before the clock; undefined: WARM_PASSES (peers/ceiling.ts). */
  ceilingWarmPasses?: number | undefined
}

export interface WorkloadSizing {
  quick: boolean
  timeScale: number
  cores: number
  /** Replaces the page count of every workload (tests, a quick look). */
  pages?: number | undefined
  /** Replaces every workload's concurrency grid. */
  concurrency?: number[] | undefined
  /** Replaces every workload's pool thread counts. */
  threads?: number[] | undefined
}

/** Pages of the full `cpu` workload: at least 2,000, so steady state outweighs start-up (issue 19). */
export const CPU_PAGES = 2000
/**
 * Pages of the quick `cpu` workload: two passes over the corpus, about 3 s a row on one core.
 * With 270 its ten runs took 77 s of a 194 s `bench --quick` (load 2.3–4 on 2 cores).
 */
export const CPU_QUICK_PAGES = 180
/**
 * The quick ceilings' warm-up: one pass over the distinct pages (the full run makes two).
 * The first pass is the cold one (its pages run 1.5–2× slower while V8 compiles); at two
 * passes the warm-up was 6–11 s of each ceiling row's process in `bench --quick`, longer
 * than the row itself.
 */
export const CPU_QUICK_WARM_PASSES = 1

/** Model latency of the write-up's runs: 17.0 s for 5 pages one at a time with Claude 3 Haiku. */
export const SEED_LATENCY_MS = 3400

/**
 * The four workloads at full size, or shrunk by `quick` to finish in about a minute on
 * two cores. Latencies scale with `timeScale`; page counts and concurrency do not.
 */
export function buildWorkload(name: WorkloadName, corpus: Corpus, sizing: WorkloadSizing): Workload {
  const { quick, timeScale, cores } = sizing
  const scaled = (ms: number): number => Math.round(ms * timeScale)
  const corpusPaths = corpus.pages.map((page) => `/${page}`)
  const pool = (threads: number[]): number[] => sizing.threads ?? [...new Set(threads)]
  const grid = (values: number[]): number[] => sizing.concurrency ?? values
  switch (name) {
    case 'seed': {
      const count = sizing.pages ?? 5
      return {
        name,
        description: `${count} corpus pages, model latency ${scaled(SEED_LATENCY_MS)} ms ± 1% a call: the shape of the Python write-up (5 URLs, Claude 3 Haiku, 17.0 s one at a time)`,
        paths: spreadPick(corpusPaths, count),
        latencyMs: scaled(SEED_LATENCY_MS),
        jitterMs: scaled(SEED_LATENCY_MS / 100),
        concurrency: grid([count]),
        threads: pool([cores]),
        capByRounds: false,
        // The write-up's four; a quick run keeps the contrast that matters: gather against threads.
        pythonRows: quick ? ['gather', 'threads'] : ['sequential', 'gather', 'threads', 'to_thread'],
        warmEmulator: false,
      }
    }
    case 'io': {
      const count = sizing.pages ?? (quick ? 200 : 500)
      return {
        name,
        description: `${count} light synthetic pages (1.5 KB), model latency ${scaled(1000)} ± ${scaled(100)} ms a call: bound by the model`,
        paths: Array.from({ length: count }, (_, i) => `${LIGHT_PREFIX}${i}.html`),
        latencyMs: scaled(1000),
        jitterMs: scaled(100),
        concurrency: grid(quick ? [50] : [10, 50]),
        threads: pool([cores]),
        capByRounds: true,
        pythonRows: ['threads'],
        warmEmulator: false,
      }
    }
    case 'cpu': {
      // Long enough that steady state dominates: threads start and warm in the first second or
      // two, and 2,000 pages take 15–20 s on one core here. The quick run keeps a few seconds.
      const count = sizing.pages ?? (quick ? CPU_QUICK_PAGES : CPU_PAGES)
      return {
        name,
        description: `${count} corpus pages (the corpus repeated), offline extractive summarizer: extraction and ranking dominate`,
        paths: repeatTo(corpusPaths, count),
        latencyMs: 0,
        jitterMs: 0,
        concurrency: grid([16]),
        threads: pool(quick ? [cores] : [1, cores]),
        capByRounds: false,
        // The Python peer has no offline summarizer: nothing to compare here.
        pythonRows: [],
        warmEmulator: false,
        ceilingWarmPasses: quick ? CPU_QUICK_WARM_PASSES : undefined,
      }
    }
    case 'mixed': {
      const count = sizing.pages ?? (quick ? 90 : 360)
      return {
        name,
        description: `${count} corpus pages (the corpus repeated), model latency ${scaled(1000)} ± ${scaled(100)} ms a call: extraction and model latency together, the real case`,
        paths: repeatTo(corpusPaths, count),
        latencyMs: scaled(1000),
        jitterMs: scaled(100),
        concurrency: grid(quick ? [32] : [16, 32, 128]),
        // The comparison: pool against Python's threads at 32 and at 128 pages in flight.
        peerConcurrency: sizing.concurrency === undefined && !quick ? [32, 128] : undefined,
        threads: pool([cores]),
        capByRounds: true,
        pythonRows: ['threads', 'readability'],
        warmEmulator: true,
      }
    }
  }
}

/** Fewest pages a row runs, so that a sequential row's throughput is not one cold page's. */
const MIN_ROW_PAGES = 10

/** One row of the table: a setting run on (part of) a workload. */
export interface RowPlan {
  workload: WorkloadName
  strategy: RowStrategy
  /** Threads doing page work: pool threads, Python pool threads; 1 for everything on one thread. */
  threads: number
  concurrency: number
  /** The first `pages` of the workload's pages. */
  pages: number
  runs: number
}

/** The rows the advice ranks against each other by the spread of their runs (advice.ts): the rest are baselines and bounds. */
export function isRanked(strategy: RowStrategy): boolean {
  return strategy === 'async' || strategy === 'pool'
}

/**
 * The rows of a workload, sequential first (its throughput is the speed-up baseline). The
 * peers run at the workload's peer concurrencies (default its highest), where the
 * comparison matters; an offline workload also gets the ceiling row, at the pool's most
 * threads and highest concurrency. `rankedRuns` (default `runs`) is for the rows the advice
 * ranks (`isRanked`): `--quick` runs those twice on `cpu` and its baselines and bounds once.
 */
export function planRows(workload: Workload, runs: number, families: readonly StrategyFamily[], python: boolean, readability = python, rankedRuns = runs): RowPlan[] {
  const total = workload.paths.length
  const top = Math.max(...workload.concurrency)
  const rounds = Math.ceil(total / top)
  const pagesAt = (concurrency: number): number => (workload.capByRounds ? Math.min(total, Math.max(MIN_ROW_PAGES, rounds * concurrency)) : total)
  // A serial row on a model-bound workload is N × latency every time: one run says it all.
  const serialRuns = workload.latencyMs > 0 ? 1 : runs
  const rows: RowPlan[] = []
  const add = (strategy: RowStrategy, threads: number, concurrency: number, pageConcurrency = concurrency): void => {
    if (!families.includes(familyOf(strategy))) return
    rows.push({ workload: workload.name, strategy, threads, concurrency, pages: pagesAt(pageConcurrency), runs: isSerial(strategy) ? serialRuns : isRanked(strategy) ? rankedRuns : runs })
  }
  add('sequential', 1, 1)
  for (const concurrency of workload.concurrency) {
    add('async', 1, concurrency)
    for (const threads of workload.threads) add('pool', threads, concurrency)
  }
  const peers = workload.peerConcurrency ?? [top]
  for (const concurrency of peers) add('p-limit', 1, concurrency)
  if (workload.latencyMs === 0) {
    const most = Math.max(...workload.threads)
    add('ceiling', most, top)
    // Extraction alone on warm threads, one and the most: what the cores give, and (against the
    // row above) what fetching from the page server on the same cores takes away.
    for (const threads of [...new Set([1, most])]) add('ceiling-extract', threads, top)
  }
  // The Python peer talks to the model only: without one there is nothing to compare.
  if (python && workload.latencyMs > 0) {
    for (const strategy of workload.pythonRows) {
      if (strategy === 'sequential') add('python-sequential', 1, 1)
      // Given every page at once, as in the write-up; it still runs them one at a time.
      else if (strategy === 'gather') add('python-gather', 1, top, 1)
      else if (strategy === 'readability') {
        if (readability) for (const concurrency of peers) add('python-readability', concurrency, concurrency)
      }
      else for (const concurrency of peers) add(`python-${strategy}`, concurrency, concurrency)
    }
  }
  return rows
}
