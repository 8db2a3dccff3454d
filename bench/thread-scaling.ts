/**
 * Extraction alone on one warm thread against two, measured in one process by paired phases
 * (scaling-probe.ts says how), as a script: several runs, young generations compared, and
 * every cycle printed.
 *
 *   npm run bench:thread-scaling -- [--runs 1] [--young MB,MB] [--cycles 10] [--phase-s 2] [--in-flight 8]
 *
 * `--young` lists the threads' young generations to compare (default: the pool's,
 * worker-heap.ts; 0: V8's); each run is a fresh process, the settings alternating. V8 flags
 * go to every process: `node --single-threaded-gc --import tsx bench/thread-scaling.ts`.
 */
import { parseArgs } from 'node:util'
import { WORKER_YOUNG_GENERATION_MB } from '../src/executors/worker-heap.js'
import { cpuPerPage, type Cycle, measureInChild, pagesPerSec, type Phase, QUIET_CORES, quietCycles } from './scaling-probe.js'
import { median } from './stats.js'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1' },
      young: { type: 'string', default: String(WORKER_YOUNG_GENERATION_MB) },
      cycles: { type: 'string', default: '10' },
      'phase-s': { type: 'string', default: '2' },
      'in-flight': { type: 'string', default: '8' },
    },
  })
  const youngs = values.young.split(',').map(Number)
  const results = new Map<number, Cycle[]>(youngs.map((young) => [young, []]))
  const runs = Number(values.runs)
  for (let run = 0; run < runs; run++) {
    // Alternating order: a burst of other load hits every setting alike.
    for (const young of run % 2 === 0 ? youngs : [...youngs].reverse()) {
      const cycles = await measureInChild({ cycles: Number(values.cycles), phaseMs: Number(values['phase-s']) * 1000, inFlight: Number(values['in-flight']), young })
      for (const [i, cycle] of cycles.entries()) process.stderr.write(`thread-scaling: ${youngLabel(young)}, run ${run + 1}/${runs}, cycle ${i + 1}: ${line(cycle)}\n`)
      results.get(young)?.push(...cycles)
    }
  }
  const flags = v8Flags(process.execArgv)
  for (const [young, cycles] of results) process.stdout.write(summary(cycles, { young, flags, phaseMs: Number(values['phase-s']) * 1000, inFlight: Number(values['in-flight']) }))
}

const youngLabel = (young: number): string => `young generation ${young > 0 ? `${young} MB` : "V8's default"}`

/** The process's flags without a loader's (`--import tsx`, `--require FILE`): the V8 flags the run was given. */
function v8Flags(execArgv: readonly string[]): string {
  return execArgv.filter((arg, i) => arg.startsWith('--') && !/^--(import|require|loader)$/.test(arg) && !/^--(import|require|loader)$/.test(execArgv[i - 1] ?? '')).join(' ')
}

const cores = (p: Phase): string => (p.otherCores === null ? '-' : p.otherCores.toFixed(2))

function line({ one, two }: Cycle): string {
  return `1 thread ${pagesPerSec(one).toFixed(1)} pages/s, ${cpuPerPage(one).toFixed(1)} ms CPU a page, other ${cores(one)} cores; 2 threads ${pagesPerSec(two).toFixed(1)} pages/s, ${cpuPerPage(two).toFixed(1)} ms, other ${cores(two)}; ratio ${(pagesPerSec(two) / pagesPerSec(one)).toFixed(2)}`
}

function summary(rows: readonly Cycle[], setting: { young: number; flags: string; phaseMs: number; inFlight: number }): string {
  const ratio = (r: Cycle): number => pagesPerSec(r.two) / pagesPerSec(r.one)
  const describe = (subset: readonly Cycle[]): string => {
    const ratios = subset.map(ratio)
    const cpuRatios = subset.map((r) => cpuPerPage(r.two) / cpuPerPage(r.one))
    return (
      `  1 thread: ${median(subset.map((r) => pagesPerSec(r.one))).toFixed(1)} pages/s, ${median(subset.map((r) => cpuPerPage(r.one))).toFixed(1)} ms CPU a page\n` +
      `  2 threads: ${median(subset.map((r) => pagesPerSec(r.two))).toFixed(1)} pages/s, ${median(subset.map((r) => cpuPerPage(r.two))).toFixed(1)} ms CPU a page\n` +
      `  2 against 1, paired by cycle: ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); CPU a page ${median(cpuRatios).toFixed(2)}× (${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)})\n`
    )
  }
  const quiet = quietCycles(rows)
  const others = rows.flatMap((r) => [r.one.otherCores, r.two.otherCores]).filter((c): c is number => c !== null)
  return (
    `thread-scaling: ${youngLabel(setting.young)} a thread${setting.flags === '' ? '' : `, ${setting.flags}`}; ${rows.length} cycles of ${setting.phaseMs / 1000} s phases, ${setting.inFlight} pages in flight a thread; ` +
    `other programs ${others.length === 0 ? 'unknown' : `${median(others).toFixed(2)} cores (median; ${Math.max(...others).toFixed(2)} at most)`}\n` +
    `every cycle:\n${describe(rows)}` +
    (quiet.length === 0 ? `no quiet cycle (other programs under ${QUIET_CORES} cores in both phases)\n` : `quiet cycles (other programs under ${QUIET_CORES} cores), ${quiet.length}:\n${describe(quiet)}`)
  )
}

await main()
