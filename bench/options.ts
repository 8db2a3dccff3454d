import { defaultsOf, type DefaultsOf, type OptionsOf, type ResolvedOf, type Table } from '../src/options/table.js'
import { resolveTable } from '../src/options/validate.js'
import { CHECKOUT_CORPUS } from './corpus.js'
import { goldDatasetProblem } from './gold-dataset.js'
import { PROBES, STRATEGY_FAMILIES, WORKLOADS, type ProbeName, type WorkloadName } from './workloads.js'

/** What `--quick` changes when the option is left unset. */
export const BENCH_QUICK = { timeScale: 0.25, runs: 1, rankedRuns: 2 } as const

/**
 * `summarize-urls bench`'s options: its flags, and `BenchOptions` for `runBench()`. Checked
 * and worded by the same module as the job's (src/options/).
 */
export const BENCH_OPTIONS = {
  workloads: {
    flag: 'workload', kind: 'list', item: { kind: 'enum', values: [...WORKLOADS, ...PROBES] }, default: [...WORKLOADS, ...PROBES],
    help: 'workloads to run, in this order, and the probes (startup, extract, job, scaling); several allowed',
  },
  quick: {
    flag: 'quick', kind: 'boolean', default: false,
    help: `shrink every workload to finish in about two minutes (time scale ${BENCH_QUICK.timeScale}, ${BENCH_QUICK.runs} run; ${BENCH_QUICK.rankedRuns} of async and pool on cpu, which the advice ranks)`,
  },
  targets: { flag: 'targets', kind: 'boolean', default: false, help: "also print the project's own engineering targets, met or missed (the --report always has them)" },
  timeScale: { flag: 'time-scale', kind: 'number', min: 0.001, max: 100, default: 1, defaultNote: `\`${BENCH_QUICK.timeScale}\` with \`--quick\``, help: 'multiply every model latency by this' },
  runs: {
    flag: 'runs', kind: 'integer', min: 1, max: 100, default: 3, defaultNote: `\`${BENCH_QUICK.runs}\` with \`--quick\``,
    help: 'runs of each setting (median and spread)', details: 'serial rows on model-bound workloads run once',
  },
  corpus: { flag: 'corpus', kind: 'path', arg: 'DIR', defaultText: `\`${CHECKOUT_CORPUS}\` in a checkout, else \`samples/pages\``, help: 'folder of pages to serve' },
  pages: { flag: 'pages', kind: 'integer', min: 1, max: 100_000, defaultText: "each workload's", help: 'pages of every workload' },
  concurrency: { flag: 'concurrency', kind: 'list', item: { kind: 'integer', min: 1, max: 10_000 }, defaultText: "each workload's grid", help: 'in-flight pages for async, pool and the peers (list)' },
  threads: { flag: 'threads', kind: 'list', item: { kind: 'integer', min: 1, max: 256 }, defaultText: 'number of cores (cpu: 1 and cores)', help: 'pool threads (list)' },
  strategies: { flag: 'strategy', kind: 'list', item: { kind: 'enum', values: STRATEGY_FAMILIES }, default: STRATEGY_FAMILIES, help: 'rows to run; several allowed' },
  python: {
    flag: 'python', kind: 'string', arg: 'CMD', default: 'python3', expected: 'a command',
    help: 'Python 3 command for the Python rows', details: 'the rows are skipped, with a note, when it does not run',
  },
  extractData: {
    flag: 'extract-data', kind: 'path', arg: 'DIR',
    help: 'a data set with hand-made main text in the Dragnet layout: the `extract` probe adds F1, precision and recall on its held-out split',
    details: 'without it that line is skipped with a note (see docs/extraction.md)',
  },
  json: { flag: 'json', kind: 'path', arg: 'FILE', help: 'write the rows as JSON to this file' },
  report: { flag: 'report', kind: 'path', arg: 'DIR', help: 'write a Markdown report with charts into this folder' },
} as const satisfies Table

export type BenchTable = typeof BENCH_OPTIONS

/** Everything `summarize-urls bench` can be told. Every field is optional; `resolveBenchOptions()` fills the rest. */
export type BenchOptions = OptionsOf<BenchTable>
/** The chosen workloads, with the fixed-cost probes (startup, extract) apart: they are not strategy rows. */
export type ResolvedBenchOptions = Omit<ResolvedOf<BenchTable>, 'workloads'> & {
  workloads: WorkloadName[]
  probes: ProbeName[]
  /** Runs of the rows the advice ranks by the spread of repeated runs (async and pool) on an offline workload (cpu), whose rows are cheap. */
  rankedRuns: number
}

export const BENCH_DEFAULTS: DefaultsOf<BenchTable> = defaultsOf(BENCH_OPTIONS)

/** "1 run a setting (async and pool on cpu: 2; serial rows on model workloads: 1)": how often each row ran, for the output's header. */
export function describeRuns(options: Pick<ResolvedBenchOptions, 'runs' | 'rankedRuns'>, serialNote: boolean): string {
  const notes: string[] = []
  if (options.rankedRuns !== options.runs) notes.push(`async and pool on cpu: ${options.rankedRuns}`)
  if (serialNote) notes.push('serial rows on model workloads: 1')
  return `${options.runs} run${options.runs === 1 ? '' : 's'} a setting${notes.length === 0 ? '' : ` (${notes.join('; ')})`}`
}

/** The only place bench defaults are applied and bench options validated. */
export function resolveBenchOptions(options: BenchOptions = {}): ResolvedBenchOptions {
  const table = resolveTable(BENCH_OPTIONS, options)
  let rankedRuns = table.runs
  if (table.quick) {
    if (options.timeScale === undefined) table.timeScale = BENCH_QUICK.timeScale
    if (options.runs === undefined) {
      table.runs = BENCH_QUICK.runs
      rankedRuns = BENCH_QUICK.rankedRuns
    }
  }
  if (table.extractData !== undefined) {
    const problem = goldDatasetProblem(table.extractData)
    if (problem !== undefined) throw new TypeError(`--extract-data must be a data set in the Dragnet layout: ${problem}`)
  }
  const chosen: readonly string[] = table.workloads
  return {
    ...table,
    workloads: WORKLOADS.filter((name) => chosen.includes(name)),
    probes: PROBES.filter((name) => chosen.includes(name)),
    rankedRuns,
  }
}
