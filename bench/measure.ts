import { Bench, type FnReturnedObject } from 'tinybench'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { machineBusyMs, processCpuMs, processesCpuMs } from './machine-load.js'
import { childEnv, forkChild } from './processes.js'
import { runPythonPeer, type PythonStrategy } from './peers/python.js'
import type { Measured } from './results.js'
import type { RunJob, RunSample } from './run-once.js'
import type { RowPlan } from './workloads.js'

/** Where a row's runs send their model calls and fetch their pages. */
export interface RowTarget {
  urls: string[]
  summarizer: SummarizerConfig
  maxChars: number
  /** Give children fake AWS credentials (the emulator); false for a real endpoint. */
  fakeCredentials: boolean
  python: string
  /** The page server's and the emulator's processes: their CPU is theirs, not other programs'. */
  serverPids: number[]
  /** The page server's process, whose CPU each row reports: it shares the cores with the run. */
  pageServerPid?: number | undefined
  /** PYTHONPATH under which the Python command imports readability-lxml (the python-readability row); undefined: as it is. */
  readabilityPythonPath?: string | undefined
  /** The ceilings' warm-up passes (Workload.ceilingWarmPasses); undefined: their default. */
  ceilingWarmPasses?: number | undefined
}

/** A run's sample, with how many cores other programs kept busy meanwhile (null where /proc is missing). */
export interface LoadedSample {
  sample: RunSample
  otherCores: number | null
  /** Cores the page server kept busy over the run's life (null where /proc is missing). */
  pageServerCores: number | null
}

/** Runs one Node job in a fresh child process and returns what it measured. */
export async function runNodeJob(job: RunJob, fakeCredentials: boolean): Promise<RunSample> {
  const child = forkChild('run', childEnv(fakeCredentials))
  try {
    child.send(job)
    return await child.next<RunSample>()
  } finally {
    await child.stop()
  }
}

function withSockets(summarizer: SummarizerConfig, sockets: number): SummarizerConfig {
  // Sized to the run, as the CLI does: the SDK's default agent allows 50 sockets and then queues.
  return summarizer.provider === 'bedrock' ? { provider: 'bedrock', settings: { ...summarizer.settings, maxSockets: sockets } } : summarizer
}

/** One run of a row: its strategy on its first `pages` URLs, in a process of its own. */
export function runPlanOnce(plan: RowPlan, target: RowTarget): Promise<RunSample> {
  const urls = target.urls.slice(0, plan.pages)
  if (plan.strategy.startsWith('python-')) {
    if (target.summarizer.provider !== 'bedrock' || target.summarizer.settings.endpoint === undefined) {
      throw new Error('the Python rows need a model endpoint')
    }
    const { settings } = target.summarizer
    return runPythonPeer(
      {
        strategy: plan.strategy.slice('python-'.length) as PythonStrategy,
        urls,
        concurrency: plan.concurrency,
        endpoint: settings.endpoint as string,
        modelId: settings.modelId,
        region: settings.region,
        maxChars: target.maxChars,
      },
      plan.strategy === 'python-readability' && target.readabilityPythonPath !== undefined ? { ...childEnv(target.fakeCredentials), PYTHONPATH: target.readabilityPythonPath } : childEnv(target.fakeCredentials),
      target.python,
    )
  }
  return runNodeJob(
    {
      runner: plan.strategy as RunJob['runner'],
      urls,
      concurrency: plan.concurrency,
      threads: plan.threads,
      summarizer: withSockets(target.summarizer, plan.concurrency),
      maxChars: target.maxChars,
      warmPasses: target.ceilingWarmPasses,
    },
    target.fakeCredentials,
  )
}

/**
 * A signal for one row, aborted with `signal`. tinybench never removes the abort listeners a
 * Bench and its task add to the signal they are given: handed the run's own signal, every row
 * left two more on it (MaxListenersExceededWarning from the sixth row of `bench --quick`).
 * The row's signal takes them with it; `unlink` removes the one listener it adds.
 */
function rowSignal(signal: AbortSignal | undefined): { signal: AbortSignal; unlink: () => void } {
  const row = new AbortController()
  const forward = (): void => row.abort(signal?.reason)
  if (signal?.aborted === true) forward()
  else signal?.addEventListener('abort', forward, { once: true })
  return { signal: row.signal, unlink: () => signal?.removeEventListener('abort', forward) }
}

/**
 * Runs a row `plan.runs` times with tinybench. Each run reports its own wall time (the run
 * alone, without the child process starting) as tinybench's sample, so tinybench's median
 * and spread are those of the runs themselves. An abort (Ctrl-C) lets the run in progress
 * finish and skips the rest; undefined when no run finished.
 */
export async function measureRow(plan: RowPlan, target: RowTarget, onRun?: (run: number, sample: RunSample) => void, signal?: AbortSignal): Promise<Measured | undefined> {
  const samples: RunSample[] = []
  const otherCores: number[] = []
  const pageServerCores: number[] = []
  const row = rowSignal(signal)
  const bench = new Bench({ name: `${plan.workload} ${plan.strategy}`, time: 0, iterations: plan.runs, warmup: false, throws: true, signal: row.signal })
  bench.add(plan.strategy, async (): Promise<FnReturnedObject> => {
    const { sample, otherCores: other, pageServerCores: server } = await runWithLoad(plan, target)
    samples.push(sample)
    if (other !== null) otherCores.push(other)
    if (server !== null) pageServerCores.push(server)
    onRun?.(samples.length, sample)
    return { overriddenDuration: sample.wallMs }
  })
  try {
    await bench.run()
  } finally {
    row.unlink()
  }
  const result = bench.tasks[0]?.result
  // Interrupted before a run finished: nothing to report for this row.
  if (signal?.aborted === true && samples.length === 0) return undefined
  if (result === undefined || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw new Error(`tinybench did not complete ${plan.workload} ${plan.strategy}: ${result?.state ?? 'no task'}`)
  }
  return { plan, samples, otherCores, pageServerCores, wall: { median: result.latency.p50, min: result.latency.min, max: result.latency.max } }
}

/**
 * One run, and the cores other programs used meanwhile: the machine's busy time over the
 * run's whole life (process start to exit), less the run's own process and the servers.
 */
export async function runWithLoad(plan: RowPlan, target: RowTarget): Promise<LoadedSample> {
  const machineBefore = machineBusyMs()
  const serversBefore = processesCpuMs(target.serverPids)
  const pagesBefore = target.pageServerPid === undefined ? undefined : processCpuMs(target.pageServerPid)
  const started = performance.now()
  const sample = await runPlanOnce(plan, target)
  const elapsed = performance.now() - started
  const machineAfter = machineBusyMs()
  const serversAfter = processesCpuMs(target.serverPids)
  const pagesAfter = target.pageServerPid === undefined ? undefined : processCpuMs(target.pageServerPid)
  const pageServerCores = pagesBefore === undefined || pagesAfter === undefined ? null : (pagesAfter - pagesBefore) / elapsed
  if (machineBefore === undefined || machineAfter === undefined || serversBefore === undefined || serversAfter === undefined) return { sample, otherCores: null, pageServerCores }
  const other = machineAfter - machineBefore - (serversAfter - serversBefore) - sample.processCpuMs
  // Clock ticks are 10 ms: a small negative remainder is rounding, not a measurement.
  return { sample, otherCores: Math.max(0, other) / elapsed, pageServerCores }
}
