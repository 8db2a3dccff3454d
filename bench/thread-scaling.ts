/**
 * Extraction alone on one warm thread against two, measured in one process: two ceiling
 * threads (bench/peers/ceiling.ts, the pool's page work without Piscina) are started and
 * warmed, then short phases alternate, A B B A …: in A one thread takes pages, in B both do.
 * Each phase reports its pages/s, its CPU a page (the whole process: threads, V8's helpers)
 * and the cores other programs used meanwhile. On a shared machine the `ceiling-extract`
 * rows of `bench` run minutes apart and inherit the machine's drift; phases a few seconds
 * apart share it, so the paired ratio B/A is the 2-against-1 figure. Linux only (/proc).
 *
 *   npm run bench:thread-scaling -- [--runs 1] [--young MB,MB] [--cycles 10] [--phase-s 2] [--in-flight 8]
 *
 * `--young` lists the threads' young generations to compare (default: the pool's,
 * worker-heap.ts; 0: V8's); each run is a fresh process, the settings alternating. V8 flags
 * go to every process: `node --single-threaded-gc --import tsx bench/thread-scaling.ts`.
 */
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import type { Worker } from 'node:worker_threads'
import type { AnalyzeTask } from '../src/analyze.js'
import { WORKER_YOUNG_GENERATION_MB } from '../src/executors/worker-heap.js'
import { resolveCorpus } from './corpus.js'
import { machineBusyMs } from './machine-load.js'
import { startCeilingWorker, WARM_PASSES } from './peers/ceiling.js'
import { median } from './stats.js'

/** Other programs below this many cores during both phases of a cycle: a quiet cycle. */
const QUIET_CORES = 0.1

interface Phase {
  pages: number
  wallMs: number
  cpuMs: number
  /** Cores other programs kept busy during the phase; null without /proc. */
  otherCores: number | null
}

interface Page {
  url: string
  bytes: Buffer
}

/** One page on thread `worker`, its bytes transferred; resolves when the thread answers. */
function analyzer(workers: Worker[]): (index: number, page: Page) => Promise<void> {
  const waiting = new Map<number, () => void>()
  for (const worker of workers) worker.on('message', (reply: { id: number } | 'ready') => reply !== 'ready' && waiting.get(reply.id)?.())
  let ids = 0
  return (index, page) => {
    const id = ids++
    const body = new Uint8Array(page.bytes)
    const task: AnalyzeTask = { url: page.url, body, contentType: 'text/html', headerCharset: undefined, maxChars: 300, maxInputChars: 12_000 }
    return new Promise<void>((resolve) => {
      waiting.set(id, resolve)
      workers[index]?.postMessage({ id, task }, [body.buffer as ArrayBuffer])
    }).finally(() => waiting.delete(id))
  }
}

interface Cycle {
  one: Phase
  two: Phase
}

interface Settings {
  cycles: number
  phaseMs: number
  inFlight: number
  young: number
}

/** One process's measurement: two warm ceiling threads, `cycles` pairs of phases. */
async function measure(settings: Settings): Promise<Cycle[]> {
  const corpus = resolveCorpus(undefined)
  const pages: Page[] = corpus.pages.map((page) => ({ url: `http://127.0.0.1/${page}`, bytes: readFileSync(join(corpus.dir, page)) }))
  const workers = [startCeilingWorker(settings.young), startCeilingWorker(settings.young)]
  const analyze = analyzer(workers)
  try {
    await Promise.all(workers.map(async (_, i) => {
      for (let pass = 0; pass < WARM_PASSES; pass++) for (const page of pages) await analyze(i, page)
    }))
    let next = 0
    const phase = async (threads: number[]): Promise<Phase> => {
      const until = performance.now() + settings.phaseMs
      const busyBefore = machineBusyMs()
      const cpuBefore = process.cpuUsage()
      const started = performance.now()
      let done = 0
      const lane = async (thread: number): Promise<void> => {
        while (performance.now() < until) {
          await analyze(thread, pages[next++ % pages.length] as Page)
          done++
        }
      }
      await Promise.all(threads.flatMap((thread) => Array.from({ length: settings.inFlight }, () => lane(thread))))
      const wallMs = performance.now() - started
      const cpu = process.cpuUsage(cpuBefore)
      const cpuMs = (cpu.user + cpu.system) / 1000
      const busyAfter = machineBusyMs()
      return { pages: done, wallMs, cpuMs, otherCores: busyBefore === undefined || busyAfter === undefined ? null : (busyAfter - busyBefore - cpuMs) / wallMs }
    }
    const cycles: Cycle[] = []
    for (let cycle = 0; cycle < settings.cycles; cycle++) {
      // A B, then B A: a phase order never favours one side; A uses each thread in turn.
      const one = cycle % 2 === 0 ? await phase([0]) : undefined
      const two = await phase([0, 1])
      cycles.push({ one: one ?? (await phase([1])), two })
    }
    return cycles
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

function measureInChild(settings: Settings): Promise<Cycle[]> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), ['--child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    child.once('message', (cycles) => resolve(cycles as Cycle[]))
    child.once('exit', (code) => reject(new Error(`thread-scaling child exited with code ${String(code)} before answering`)))
    child.send(settings)
  })
}

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

const pagesPerSec = (p: Phase): number => (1000 * p.pages) / p.wallMs
const cpuPerPage = (p: Phase): number => p.cpuMs / Math.max(1, p.pages)
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
  const quiet = rows.filter((r) => r.one.otherCores !== null && r.two.otherCores !== null && r.one.otherCores < QUIET_CORES && r.two.otherCores < QUIET_CORES)
  const others = rows.flatMap((r) => [r.one.otherCores, r.two.otherCores]).filter((c): c is number => c !== null)
  return (
    `thread-scaling: ${youngLabel(setting.young)} a thread${setting.flags === '' ? '' : `, ${setting.flags}`}; ${rows.length} cycles of ${setting.phaseMs / 1000} s phases, ${setting.inFlight} pages in flight a thread; ` +
    `other programs ${others.length === 0 ? 'unknown' : `${median(others).toFixed(2)} cores (median; ${Math.max(...others).toFixed(2)} at most)`}\n` +
    `every cycle:\n${describe(rows)}` +
    (quiet.length === 0 ? `no quiet cycle (other programs under ${QUIET_CORES} cores in both phases)\n` : `quiet cycles (other programs under ${QUIET_CORES} cores), ${quiet.length}:\n${describe(quiet)}`)
  )
}

if (process.argv.includes('--child')) {
  process.once('message', (settings: Settings) => {
    void measure(settings).then((cycles) => process.send?.(cycles, undefined, {}, () => process.exit(0)))
  })
} else {
  await main()
}
