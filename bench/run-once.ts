import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { readUrlList } from '../src/input/list.js'
import { resolveOptions } from '../src/options.js'
import { runSummaries } from '../src/run.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { POOL_CHANNEL, type PoolEvent } from '../src/executors/pool.js'
import { prepareCeiling } from './peers/ceiling.js'
import { runPLimitPeer, type PageOutcome } from './peers/p-limit.js'

/** Who schedules the pages in a Node run: the project's strategies, the hand-written p-limit loop, or the bare worker_threads ceiling. */
export type NodeRunner = 'sequential' | 'async' | 'pool' | 'p-limit' | 'ceiling' | 'ceiling-extract'

/** One run of one setting, as plain data (it crosses a process boundary). */
export interface RunJob {
  runner: NodeRunner
  urls: string[]
  concurrency: number
  threads: number
  summarizer: SummarizerConfig
  maxChars: number
  /** Ceilings: passes over the distinct pages each thread makes before the clock; default WARM_PASSES (peers/ceiling.ts). */
  warmPasses?: number | undefined
}

/** What one run measured. Per-page times are in completion order. */
export interface RunSample {
  wallMs: number
  /** User + system CPU of the whole process during the run: the main thread and every worker thread. */
  cpuMs: number
  /** CPU time of the whole process since it started (loading modules included), to tell its share of the machine from other programs'. */
  processCpuMs: number
  /** Peak resident set of the process that made the run (a fresh process per run), in MiB. */
  peakRssMb: number
  /**
   * Time the main thread was busy (event-loop utilization, active part): for the inline
   * strategies, the page work itself, without V8's GC and compiler threads that process CPU
   * time also counts. Null for Python.
   */
  mainBusyMs: number | null
  /** p99 of the main thread's event-loop delay; null where there is no event loop to measure (Python). */
  eventLoopP99Ms: number | null
  /** `timingsMs.total` of each page: from its start to its record (queueing for a worker thread included). */
  pageMs: number[]
  /** When each page's record came, in ms from the run's start, in completion order: the steady-state rate is read from these. */
  doneMs: number[]
  /** From the process's start to the run's clock starting (loading modules, warming a ceiling's threads); null where unknown. */
  processStartMs: number | null
  /** From the run's start until its first thread could take a page; null when the run started no thread. */
  threadsReadyMs: number | null
  /** Model tokens over the pages that ended ok (0 without a model). */
  inputTokens: number
  outputTokens: number
  fetchMs: number[]
  summarizeMs: number[]
  ok: number
  failed: number
  /** Failed pages by error code. */
  errors: Record<string, number>
}

/**
 * Sampling interval of the event-loop monitor. The histogram records the time between
 * two ticks of a timer with this interval, so an idle loop reads about this much: it is
 * subtracted, and what is reported is how late the timer ran.
 */
export const LOOP_RESOLUTION_MS = 10

/**
 * Runs `job` once in this process and measures it. Everything outside the run (module
 * loading, server start-up) is left out; the pool's thread start-up is in, as in a real run.
 */
export async function runOnce(job: RunJob): Promise<RunSample> {
  // The run loads these at its first model call or when its threads start; loaded here, the
  // measured window holds the run and not module loading (the `startup` probe measures that).
  if (job.summarizer.provider === 'bedrock') await import('../src/summarizers/bedrock.js')
  if (job.runner === 'pool') await import('piscina')
  // The ceilings' threads start and warm up before the clock: they show what warm threads do.
  const ceiling = job.runner === 'ceiling' || job.runner === 'ceiling-extract' ? await prepareCeiling(job.urls, job.threads, job.maxChars, job.runner === 'ceiling-extract', job.warmPasses) : undefined
  const records: PageOutcome[] = []
  const doneMs: number[] = []
  let threadsReadyMs: number | null = null
  const onPool = (message: unknown): void => {
    const event = message as PoolEvent
    if (event.event === 'ready' && threadsReadyMs === null) threadsReadyMs = performance.now() - started
  }
  subscribe(POOL_CHANNEL.name, onPool)
  const record = (outcome: PageOutcome): void => {
    records.push(outcome)
    doneMs.push(performance.now() - started)
  }
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
  loop.enable()
  const eluBefore = performance.eventLoopUtilization()
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const processStartMs = started
  if (job.runner === 'p-limit') {
    await runPLimitPeer(job.urls, job.concurrency, job.summarizer, job.maxChars, record)
  } else if (job.runner === 'ceiling' || job.runner === 'ceiling-extract') {
    await ceiling?.run(job.concurrency, record)
  } else {
    const options = resolveOptions({
      strategy: job.runner,
      concurrency: job.runner === 'sequential' ? 1 : job.concurrency,
      threads: job.threads,
      maxChars: job.maxChars,
      // Records in completion order: the benchmark measures scheduling, not the reorder buffer.
      unordered: true,
      // Every repetition does the whole work: a cache would answer the second from the first.
      cache: false,
    })
    // The run knows its length, as a job reading a file does once it has counted the lines.
    await runSummaries(readUrlList(Readable.from([job.urls.join('\n')])), { write: (page) => record({ ok: page.status === 'ok', timingsMs: page.timingsMs, errorCode: page.error?.code ?? null, usage: page.usage }) }, options, job.summarizer, { inputLines: () => job.urls.length })
  }
  const wallMs = performance.now() - started
  unsubscribe(POOL_CHANNEL.name, onPool)
  await ceiling?.close()
  const cpu = process.cpuUsage(cpuBefore)
  const elu = performance.eventLoopUtilization(eluBefore)
  loop.disable()
  const errors: Record<string, number> = {}
  for (const record of records) {
    if (record.errorCode !== null) errors[record.errorCode] = (errors[record.errorCode] ?? 0) + 1
  }
  const ok = records.filter((r) => r.ok).length
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainBusyMs: elu.active,
    processCpuMs: (() => {
      const total = process.cpuUsage()
      return (total.user + total.system) / 1000
    })(),
    peakRssMb: (process.resourceUsage().maxRSS * 1024) / (1024 * 1024),
    eventLoopP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
    pageMs: records.map((r) => r.timingsMs.total),
    doneMs,
    // performance.now() counts from the process's start: where the run's clock started is how long the process took to get there.
    processStartMs,
    threadsReadyMs: ceiling === undefined ? threadsReadyMs : 0,
    inputTokens: records.reduce((n, r) => n + (r.ok ? (r.usage?.inputTokens ?? 0) : 0), 0),
    outputTokens: records.reduce((n, r) => n + (r.ok ? (r.usage?.outputTokens ?? 0) : 0), 0),
    fetchMs: records.map((r) => r.timingsMs.fetch),
    summarizeMs: records.filter((r) => r.ok).map((r) => r.timingsMs.summarize),
    ok,
    failed: records.length - ok,
    errors,
  }
}
