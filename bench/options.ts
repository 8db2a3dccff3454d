import { PROBES, STRATEGY_FAMILIES, WORKLOADS, type ProbeName, type StrategyFamily, type WorkloadName } from './workloads.js'

/** Everything `summarize-urls bench` can be told. Every field is optional; `resolveBenchOptions()` fills the rest. */
export interface BenchOptions {
  /** Workloads to run, in this order, and the fixed-cost probes (startup, extract). Default all: seed, io, cpu, mixed, startup, extract. */
  workloads?: Array<WorkloadName | ProbeName>
  /** Shrink every workload (and the time scale, and the runs) to finish in about a minute. Default `false`. */
  quick?: boolean
  /** Multiplies every model latency. Default 1, or 0.25 with `quick`. */
  timeScale?: number
  /** Runs of each setting; serial rows on model-bound workloads run once. Default 3, or 1 with `quick`. */
  runs?: number
  /** Folder of pages. Default: the 90-page corpus beside a checkout, else the bundled samples. */
  corpus?: string
  /** Pages of every workload, replacing each one's own count. Default: each workload's. */
  pages?: number
  /** In-flight pages for async, pool and the peers, replacing each workload's grid. Default: each workload's. */
  concurrency?: number[]
  /** Pool thread counts, replacing each workload's. Default: the number of cores (cpu: also 1). */
  threads?: number[]
  /** Which rows to run. Default all: sequential, async, pool, p-limit, python. */
  strategies?: StrategyFamily[]
  /** The Python 3 command for the Python rows. Default `python3`; rows are skipped, with a note, when it does not run. */
  python?: string
  /** Write the rows as a JSON array to this file. Default: none. */
  json?: string
  /** Write a Markdown report with charts into this folder. Default: none. */
  report?: string
}

export interface ResolvedBenchOptions {
  workloads: WorkloadName[]
  probes: ProbeName[]
  quick: boolean
  timeScale: number
  runs: number
  corpus: string | undefined
  pages: number | undefined
  concurrency: number[] | undefined
  threads: number[] | undefined
  strategies: StrategyFamily[]
  python: string
  json: string | undefined
  report: string | undefined
}

export const BENCH_DEFAULTS = {
  timeScale: 1,
  quickTimeScale: 0.25,
  runs: 3,
  quickRuns: 1,
  python: 'python3',
} as const

function describe(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? `\`${String(value)}\`` : `a value of type ${value === null ? 'null' : typeof value}`
}

function integer(flag: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${flag} must be an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

function integers(flag: string, values: unknown, min: number, max: number): number[] | undefined {
  if (values === undefined) return undefined
  if (!Array.isArray(values) || values.length === 0) throw new TypeError(`${flag} must be a list of integers from ${min} to ${max}, got ${describe(values)}`)
  return [...new Set(values.map((v) => integer(flag, v, min, max)))]
}

function oneOfEach<T extends string>(flag: string, values: unknown, allowed: readonly T[]): T[] | undefined {
  if (values === undefined) return undefined
  if (!Array.isArray(values) || values.length === 0) throw new TypeError(`${flag} must be one or more of ${allowed.join(', ')}, got ${describe(values)}`)
  for (const value of values) {
    if (!(allowed as readonly unknown[]).includes(value)) throw new TypeError(`${flag} must be one or more of ${allowed.join(', ')}, got ${describe(value)}`)
  }
  return [...new Set(values as T[])]
}

function optionalPath(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${flag} must be a path, got ${describe(value)}`)
  return value
}

/** The only place bench defaults are applied and bench options validated. */
export function resolveBenchOptions(options: BenchOptions = {}): ResolvedBenchOptions {
  const quick = options.quick === true
  const timeScale = options.timeScale ?? (quick ? BENCH_DEFAULTS.quickTimeScale : BENCH_DEFAULTS.timeScale)
  if (typeof timeScale !== 'number' || !(timeScale >= 0.001 && timeScale <= 100)) {
    throw new TypeError(`--time-scale must be a number from 0.001 to 100, got ${describe(timeScale)}`)
  }
  const python = options.python ?? BENCH_DEFAULTS.python
  if (typeof python !== 'string' || python.trim() === '') throw new TypeError(`--python must be a command, got ${describe(python)}`)
  const chosen = oneOfEach<WorkloadName | ProbeName>('--workload', options.workloads, [...WORKLOADS, ...PROBES]) ?? [...WORKLOADS, ...PROBES]
  return {
    workloads: chosen.filter((name): name is WorkloadName => (WORKLOADS as readonly string[]).includes(name)),
    probes: chosen.filter((name): name is ProbeName => (PROBES as readonly string[]).includes(name)),
    quick,
    timeScale,
    runs: options.runs === undefined ? (quick ? BENCH_DEFAULTS.quickRuns : BENCH_DEFAULTS.runs) : integer('--runs', options.runs, 1, 100),
    corpus: optionalPath('--corpus', options.corpus),
    pages: options.pages === undefined ? undefined : integer('--pages', options.pages, 1, 100_000),
    concurrency: integers('--concurrency', options.concurrency, 1, 10_000),
    threads: integers('--threads', options.threads, 1, 256),
    strategies: oneOfEach('--strategy', options.strategies, STRATEGY_FAMILIES) ?? [...STRATEGY_FAMILIES],
    python,
    json: optionalPath('--json', options.json),
    report: optionalPath('--report', options.report),
  }
}
