import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { availableParallelism } from 'node:os'
import type { Writable } from 'node:stream'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import type { EmulatorOptions } from '../src/emulator/server.js'
import { DEFAULT_MODEL, DEFAULTS } from '../src/options.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { resolveCorpus, type Corpus } from './corpus.js'
import { measureExtractionCpu } from './extract-cpu.js'
import { JOB_LINES, measureJob, QUICK_JOB_LINES } from './job-probe.js'
import { measureInChild as measureScaling } from './scaling-probe.js'
import { WORKER_YOUNG_GENERATION_MB } from '../src/executors/worker-heap.js'
import { repeatTo } from './corpus.js'
import { measureExtractQuality } from './extract-quality.js'
import { describeMachine, machineLine, type Machine } from './machine.js'
import { measureRow, runNodeJob, type RowTarget } from './measure.js'
import { describeRuns, resolveBenchOptions, type BenchOptions, type ResolvedBenchOptions } from './options.js'
import { pythonVersion, READABILITY_HINT, readabilityEnv } from './peers/python.js'
import { childEnv, forkChild, type Child, type ListeningMessage } from './processes.js'
import { deriveRows, jsonRow, type Measured, type RowResult } from './results.js'
import { median, percentile, round } from './stats.js'
import { formatMs, textTable } from './table.js'
import { probeLines, type Probes } from './probes.js'
import { measureStartup } from './startup.js'
import { checkTargets, type TargetCheck } from './targets.js'
import { benchAdvice } from './advice.js'
import { buildWorkload, isParallel, planRows, type Workload } from './workloads.js'

export interface BenchIO {
  stdout: Writable
  stderr: Writable
  /** Aborted on Ctrl-C: the bench stops after the run in progress and reports what it has. */
  signal?: AbortSignal | undefined
}

export interface BenchResult {
  options: ResolvedBenchOptions
  machine: Machine
  corpus: Corpus
  workloads: Workload[]
  rows: RowResult[]
  /** The fixed-cost probes that ran (`startup`, `extract`). */
  probes: Probes
  targets: TargetCheck[]
  /** What to use for the user's workload and why (advice.ts). */
  advice: string[]
  /** Rows skipped and why (no python3, …). */
  notes: string[]
  /** The run was interrupted before every row ran. */
  interrupted: boolean
}


/** The scaling probe: 10 cycles of 2 s phases (A B B A …), 8 pages in flight a thread: about 45 s with the threads' warm-up. */
const SCALING_CYCLES = 10
const SCALING_PHASE_MS = 2000
const SCALING_IN_FLIGHT = 8
/** Cores of other programs' load past which a row's figures are called out as skewed. */
const OTHER_LOAD_NOTE = 0.25

/** Fresh processes and threads per start-up figure (median), and runs per page for the extract figure. */
const PROBE_RUNS = 10
const QUICK_PROBE_RUNS = 3
const EXTRACT_REPEATS = 5

/** Replies are asked for in this many characters, as the CLI's default. */
const MAX_CHARS = DEFAULTS.maxChars

/** Starts the page server child and returns its base URL. */
export async function startPageServerChild(corpus: Corpus): Promise<{ child: Child; url: string }> {
  const child = forkChild('page-server', childEnv(false))
  child.send({ dir: corpus.dir, pages: corpus.pages })
  const { url } = await child.next<ListeningMessage>()
  return { child, url }
}

/** Starts an emulator child with `options` and returns its URL. */
export async function startEmulatorChild(options: EmulatorOptions): Promise<{ child: Child; url: string }> {
  const child = forkChild('emulator', childEnv(false))
  child.send(options)
  const { url } = await child.next<ListeningMessage>()
  return { child, url }
}

export function emulatorSummarizer(endpoint: string, sockets: number): SummarizerConfig {
  return {
    provider: 'bedrock',
    settings: { modelId: DEFAULT_MODEL, region: 'us-east-1', endpoint, maxSockets: sockets, requestTimeoutMs: 60 * 1000, retry: DEFAULT_RETRY_POLICY },
  }
}

/** Page paths as URLs on the page server, each segment of the path escaped (a `?query` kept). */
export function pageUrls(base: string, paths: readonly string[]): string[] {
  return paths.map((path) => {
    const [pathname = '', query] = path.split('?', 2)
    return `${base}${pathname.split('/').map(encodeURIComponent).join('/')}${query === undefined ? '' : `?${query}`}`
  })
}

/**
 * `summarize-urls bench`: every workload through every strategy and the peers, against
 * local servers only. Each run happens in a fresh process (see child/run.ts); the page
 * server and the emulator run in processes of their own, so the CPU time measured is the
 * strategy's alone. Prints the table on stdout, progress on stderr.
 */
export async function runBench(options: BenchOptions, io: BenchIO): Promise<BenchResult> {
  const resolved = resolveBenchOptions(options)
  const corpus = resolveCorpus(resolved.corpus)
  const cores = availableParallelism()
  const wantsPython = resolved.strategies.includes('python')
  const python = wantsPython ? await pythonVersion(resolved.python) : undefined
  const machine = describeMachine(python)
  const notes: string[] = []
  if (wantsPython && python === undefined) notes.push(`\`${resolved.python}\` does not run here: the Python rows were skipped.`)
  // readability-lxml is optional (CI need not have it): without it its row is skipped, with the one-line hint.
  const readability = python !== undefined && resolved.workloads.includes('mixed') ? await readabilityEnv(resolved.python) : undefined
  if (python !== undefined && resolved.workloads.includes('mixed') && readability === undefined) notes.push(READABILITY_HINT)
  const peers: PeerSupport = { python: python !== undefined, readabilityPythonPath: readability === undefined ? false : (readability['PYTHONPATH'] ?? '') }
  if (resolved.quick || resolved.timeScale !== 1 || resolved.pages !== undefined) {
    notes.push('the targets are stated for the full-size workloads at time scale 1 (`summarize-urls bench`); a smaller or faster run weighs fixed costs (a process and its threads starting, a cold JIT) more.')
  }
  const log = (line: string): void => void io.stderr.write(`bench: ${line}\n`)
  log(`corpus: ${corpus.label}`)
  log(`machine: ${machineLine(machine)}`)
  log(`${resolved.quick ? 'quick, ' : ''}time scale ${resolved.timeScale}, ${describeRuns(resolved, false)}`)

  const workloads: Workload[] = []
  const rows: RowResult[] = []
  let interrupted = false
  const probes: Probes = {}
  const pages = await startPageServerChild(corpus)
  try {
    for (const name of resolved.workloads) {
      if (io.signal?.aborted === true) break
      const workload = buildWorkload(name, corpus, { quick: resolved.quick, timeScale: resolved.timeScale, cores, pages: resolved.pages, concurrency: resolved.concurrency, threads: resolved.threads })
      workloads.push(workload)
      log(`${workload.name}: ${workload.description}`)
      const measured = await runWorkload(workload, pages.url, pages.child.process.pid, resolved, peers, io, log)
      interrupted ||= measured.interrupted
      const derived = deriveRows(workload, measured.rows, cores)
      rows.push(...derived)
      if (workload.name === 'cpu' && python !== undefined) notes.push('`cpu` has no Python rows: the Python peer only has the model path (the offline summarizer is ours).')
      if (workload.capByRounds) {
        const top = Math.max(...workload.concurrency)
        notes.push(`\`${workload.name}\` runs each setting for ${Math.ceil(workload.paths.length / top)} rounds of model calls (pages = rounds × concurrency, at most ${workload.paths.length}), so \`sequential\` takes seconds rather than minutes; pages/s and speed-up compare across page counts.`)
      }
    }
    if (resolved.probes.includes('job') && io.signal?.aborted !== true) {
      const lines = resolved.pages ?? (resolved.quick ? QUICK_JOB_LINES : JOB_LINES)
      // Two runs at least: a claim that the defaults beat async needs the spread of repeated runs.
      const runs = Math.max(2, resolved.runs)
      log(`job: a ${lines}-line offline job through the CLI, with the defaults and with --strategy async, ${runs} runs each`)
      probes.job = await measureJob(pageUrls(pages.url, repeatTo(corpus.pages.map((page) => `/${page}`), lines)), runs, pages.child.process.pid)
    }
  } finally {
    await pages.child.stop()
  }
  await measureLocalProbes(resolved, corpus, probes, notes, io, log)
  if (io.signal?.aborted === true) interrupted = true

  const busiest = Math.max(0, ...rows.map((r) => r.otherCores ?? 0))
  if (busiest >= OTHER_LOAD_NOTE) {
    notes.push(`other programs kept up to ${busiest.toFixed(1)} of the ${cores} cores busy during some rows (the "other load" column): those rows measured a smaller machine.`)
  }
  const targets = checkTargets(rows, workloads, cores, probes, resolved.quick)
  const partial = { options: resolved, machine, corpus, workloads, rows, probes, targets, notes, interrupted }
  const result: BenchResult = { ...partial, advice: benchAdvice({ ...partial, advice: [] }, cores) }
  io.stdout.write(formatBench(result))
  if (resolved.json !== undefined) await writeFile(resolved.json, `${JSON.stringify(rows.map((r) => jsonRow(r.row)), null, 2)}\n`)
  if (resolved.report !== undefined) {
    const { writeReport } = await import('./report.js')
    const path = await writeReport(resolved.report, result, log)
    log(`report written to ${path}`)
  }
  return result
}

/** The probes that need no page server: start-up, and the CPU (and quality) of extraction. */
async function measureLocalProbes(resolved: ResolvedBenchOptions, corpus: ReturnType<typeof resolveCorpus>, probes: Probes, notes: string[], io: BenchIO, log: (line: string) => void): Promise<void> {
  if (resolved.probes.includes('startup') && io.signal?.aborted !== true) {
    log('startup: --version and --help against node -e 0, and a pool thread until it can take a page')
    probes.startup = await measureStartup(resolved.quick ? QUICK_PROBE_RUNS : PROBE_RUNS)
  }
  if (resolved.probes.includes('extract') && io.signal?.aborted !== true) {
    log(`extract: CPU of decode + extract + extractive summary on each of the ${corpus.pages.length} corpus pages`)
    const pages = await measureExtractionCpu(corpus.pages, (page) => join(corpus.dir, page), resolved.quick ? 1 : EXTRACT_REPEATS)
    probes.extract = { pages: pages.length, cpuMsMedian: round(median(pages.map((p) => p.cpuMs)), 2), cpuMsP95: round(percentile(pages.map((p) => p.cpuMs), 95), 2) }
    if (resolved.extractData === undefined) notes.push('no extract quality line: `--extract-data DIR` names a data set with hand-made main text (docs/extraction.md).')
    else {
      log(`extract quality: word 4-shingles on the held-out split of ${resolved.extractData}`)
      const quality = await measureExtractQuality(resolved.extractData, resolved.quick ? 1 : EXTRACT_REPEATS)
      probes.extract.quality = quality
    }
  }
  if (resolved.probes.includes('scaling') && io.signal?.aborted !== true) {
    if (resolved.quick) notes.push('no scaling probe with `--quick` (about 45 s): the extraction ceiling target reads its two rows instead.')
    else {
      const settings = { cycles: SCALING_CYCLES, phaseMs: SCALING_PHASE_MS, inFlight: SCALING_IN_FLIGHT, young: WORKER_YOUNG_GENERATION_MB }
      log(`scaling: extraction alone on one warm thread against two, ${settings.cycles} cycles of paired ${settings.phaseMs / 1000} s phases in one process`)
      probes.scaling = { ...settings, cycles: await measureScaling(settings) }
    }
  }
}

/** Which peers run here: Python at all, and readability-lxml (with the PYTHONPATH that imports it; '' as it is) or not. */
interface PeerSupport {
  python: boolean
  readabilityPythonPath: string | false
}

async function runWorkload(
  workload: Workload,
  pagesUrl: string,
  pagesPid: number | undefined,
  options: ResolvedBenchOptions,
  peers: PeerSupport,
  io: BenchIO,
  log: (line: string) => void,
): Promise<{ rows: Measured[]; interrupted: boolean }> {
  const urls = pageUrls(pagesUrl, workload.paths)
  let emulator: { child: Child; url: string } | undefined
  if (workload.latencyMs > 0) {
    // No overshoot: a reply depends only on its page, whichever strategy asked.
    emulator = await startEmulatorChild({ latencyMs: workload.latencyMs, jitterMs: workload.jitterMs, overshootRate: 0 })
  }
  const top = Math.max(...workload.concurrency)
  const target: RowTarget = {
    urls,
    summarizer: emulator === undefined ? { provider: 'extractive' } : emulatorSummarizer(emulator.url, top),
    maxChars: MAX_CHARS,
    fakeCredentials: true,
    python: options.python,
    serverPids: [pagesPid, emulator?.child.process.pid].filter((pid): pid is number => pid !== undefined),
    pageServerPid: pagesPid,
    readabilityPythonPath: peers.readabilityPythonPath === false || peers.readabilityPythonPath === '' ? undefined : peers.readabilityPythonPath,
    ceilingWarmPasses: workload.ceilingWarmPasses,
  }
  const measured: Measured[] = []
  try {
    if (workload.warmEmulator && emulator !== undefined) {
      const distinct = pageUrls(pagesUrl, [...new Set(workload.paths.map((path) => path.split('?')[0] as string))])
      log(`${workload.name}: warming the emulator's reply cache with ${distinct.length} distinct pages (not measured)`)
      await runNodeJob({ runner: 'async', urls: distinct, concurrency: top, threads: 1, summarizer: target.summarizer, maxChars: MAX_CHARS }, true)
    }
    for (const plan of planRows(workload, options.runs, options.strategies, peers.python, peers.readabilityPythonPath !== false, workload.latencyMs === 0 ? options.rankedRuns : options.runs)) {
      if (io.signal?.aborted === true) return { rows: measured, interrupted: true }
      const label = `${workload.name} ${plan.strategy}${isParallel(plan.strategy) ? ` threads ${plan.threads}` : ''} concurrency ${plan.concurrency}, ${plan.pages} pages`
      const row = await measureRow(
        plan,
        target,
        (run, sample) => {
          const failed = sample.failed === 0 ? '' : `, ${sample.failed} failed (${Object.entries(sample.errors).map(([code, n]) => `${code} ${n}`).join(', ')})`
          log(`${label}: run ${run}/${plan.runs} ${formatMs(sample.wallMs)}${failed}`)
        },
        io.signal,
      )
      if (row !== undefined) measured.push(row)
    }
  } finally {
    await emulator?.child.stop()
  }
  return { rows: measured, interrupted: false }
}

/** The stdout report: what ran where, the table, the targets, and the notes. */
export function formatBench(result: BenchResult): string {
  const lines: string[] = []
  lines.push(`summarize-urls bench: ${machineLine(result.machine)}`)
  lines.push(`corpus: ${result.corpus.label}`)
  lines.push(`${result.options.quick ? 'quick; ' : ''}time scale ${result.options.timeScale}; ${describeRuns(result.options, true)}; wall = median, spread = min–max`)
  for (const workload of result.workloads) lines.push(`  ${workload.name}: ${workload.description}`)
  lines.push('')
  lines.push(textTable(result.rows))
  lines.push('')
  const fixed = probeLines(result.probes)
  if (fixed.length > 0) {
    lines.push('probes (start-up, extraction CPU, the offline job, thread scaling):')
    for (const line of fixed) lines.push(`  ${line}`)
    lines.push('')
  }
  if (result.advice.length > 0) {
    lines.push('advice (from this run):')
    for (const line of result.advice) lines.push(`  ${line}`)
    lines.push('')
  }
  if (result.options.targets && result.targets.length > 0) {
    lines.push("targets (the project's own engineering targets):")
    for (const t of result.targets) {
      // A target's findings each on a line of their own: the peers' comparison alone ran to 2,000 characters.
      lines.push(`  [${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'}] ${t.statement}:`)
      for (const finding of t.detail.split('; ')) lines.push(`      ${finding}`)
    }
    lines.push('')
  }
  for (const note of result.notes) lines.push(`note: ${note}`)
  if (result.interrupted) lines.push('note: interrupted: the table has the rows that finished.')
  if (!result.options.targets && result.targets.length > 0) lines.push(`note: ${result.targets.length} engineering targets of the project were checked: --targets prints them, --report writes them.`)
  return `${lines.join('\n')}\n`
}

