import { writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import type { EmulatorStats } from '../src/emulator/server.js'
import { UsageError } from '../src/errors.js'
import { DEFAULTS, resolveOptions } from '../src/options.js'
import { redactUrlsInText } from '../src/redact.js'
import { perThread, type SummarizerConfig } from '../src/summarizers/config.js'
import { resolveSummarizer } from '../src/summarizers/resolve.js'
import { emulatorSummarizer, pageUrls, startEmulatorChild, startPageServerChild, type BenchIO } from './bench.js'
import { repeatTo, resolveCorpus, type Corpus } from './corpus.js'
import { describeMachine, machineLine, type Machine } from './machine.js'
import { runNodeJob } from './measure.js'
import type { Child } from './processes.js'
import { performance } from 'node:perf_hooks'
import { processCpuMs } from './machine-load.js'
import { median, percentile, round, steadyPagesPerSec } from './stats.js'
import { analyzeSweep, type SweepAnalysis, type TunePoint } from './sweep.js'
import { nearestRival, tuneAdvice, tuneTable } from './tune-advice.js'
import { resolveTuneOptions, TUNE_DEFAULTS, type ResolvedTuneOptions, type TuneOptions } from './tune-options.js'

export interface TuneResult {
  options: ResolvedTuneOptions
  machine: Machine
  corpus: Corpus
  /** Where the model calls went, for the output. */
  model: string
  points: TunePoint[]
  analysis: SweepAnalysis | undefined
  interrupted: boolean
}

interface Setting {
  threads: number
  concurrency: number
  pages: number
}

/** The grid: every thread count with every concurrency it can use (more threads than pages in flight would idle). */
export function tuneSettings(options: Pick<ResolvedTuneOptions, 'threads' | 'concurrency' | 'rounds'>): Setting[] {
  const settings: Setting[] = []
  for (const threads of options.threads) {
    for (const concurrency of options.concurrency) {
      if (threads > concurrency && threads !== Math.min(...options.threads)) continue
      settings.push({ threads, concurrency, pages: options.rounds * concurrency })
    }
  }
  return settings
}

/** More runs of the best setting and of its nearest rival, so the recommendation has a spread behind it. */
const CONFIRM_RUNS = 2

/** Where the sweep sends model calls, and how the output names it. */
interface ModelTarget {
  summarizer: SummarizerConfig
  model: string
  emulator: { child: Child; url: string } | undefined
}

/** A billed endpoint gets a handful of requests unless the user says `--yes`. */
function guardBilled(resolved: ResolvedTuneOptions, planned: number): void {
  const { target } = resolved
  if (target.kind === 'endpoint' && target.billed && planned > TUNE_DEFAULTS.freeRequests && !resolved.yes) {
    const url = target.provider === 'openai' ? target.baseUrl : target.endpointUrl
    const where = url === undefined ? (target.provider === 'openai' ? 'OpenAI' : 'Amazon Bedrock') : redactUrlsInText(url)
    throw new UsageError(
      `tune would send about ${planned} model requests to ${where}, which are billed; pass --yes to go ahead, or shrink the sweep (--concurrency, --threads, --rounds) to ${TUNE_DEFAULTS.freeRequests} or fewer`,
    )
  }
}

/** The real endpoint the user named, or a spawned emulator with the quota the options give it. */
async function modelTarget(resolved: ResolvedTuneOptions, maxConcurrency: number): Promise<ModelTarget> {
  const { target } = resolved
  if (target.kind === 'endpoint') {
    const summarizerOptions = resolveOptions({
      provider: target.provider,
      concurrency: maxConcurrency,
      ...(target.endpointUrl === undefined ? {} : { endpointUrl: target.endpointUrl }),
      ...(target.baseUrl === undefined ? {} : { baseUrl: target.baseUrl }),
      ...(target.model === undefined ? {} : { model: target.model }),
      ...(target.region === undefined ? {} : { region: target.region }),
      ...(target.profile === undefined ? {} : { profile: target.profile }),
    })
    const resolvedSummarizer = await resolveSummarizer(summarizerOptions)
    return { summarizer: resolvedSummarizer.config, model: resolvedSummarizer.notice.replace(/^using /, ''), emulator: undefined }
  }
  const quota = { rpm: resolved.emulatorRpm, tpm: resolved.emulatorTpm, maxConcurrency: resolved.emulatorMaxConcurrency, throttleRate: resolved.throttleRate }
  const emulator = await startEmulatorChild({ latencyMs: resolved.latencyMs, jitterMs: resolved.jitterMs, overshootRate: 0, ...withoutUndefined(quota) })
  const limits = [
    quota.rpm === undefined ? '' : `${quota.rpm} requests/min`,
    quota.tpm === undefined ? '' : `${quota.tpm} tokens/min`,
    quota.maxConcurrency === undefined ? '' : `${quota.maxConcurrency} calls in flight`,
    quota.throttleRate === undefined ? '' : `${quota.throttleRate * 100}% throttled at random`,
  ].filter((s) => s !== '')
  return {
    summarizer: emulatorSummarizer(emulator.url, maxConcurrency),
    model: `the emulator (spawned), ${resolved.latencyMs} ± ${resolved.jitterMs} ms a call${limits.length === 0 ? '' : `, quota: ${limits.join(', ')}`}`,
    emulator,
  }
}

/** What one setting's run needs besides the setting. */
interface SweepContext {
  paths: string[]
  pagesUrl: string
  pagesPid: number | undefined
  summarizer: SummarizerConfig
  emulator: Child | undefined
  fakeCredentials: boolean
}

/** One run of the pool at one setting, in a fresh process, as a point of the sweep. */
async function runSetting(setting: Setting, ctx: SweepContext): Promise<TunePoint> {
  const before = ctx.emulator === undefined ? undefined : await emulatorStats(ctx.emulator)
  const serverBefore = ctx.pagesPid === undefined ? undefined : processCpuMs(ctx.pagesPid)
  const started = performance.now()
  const sample = await runNodeJob(
    {
      runner: 'pool',
      urls: pageUrls(ctx.pagesUrl, repeatTo(ctx.paths, setting.pages)),
      concurrency: setting.concurrency,
      threads: setting.threads,
      summarizer: perThread(ctx.summarizer, setting.concurrency),
      maxChars: DEFAULTS.maxChars,
    },
    ctx.fakeCredentials,
  )
  const elapsed = performance.now() - started
  const serverAfter = ctx.pagesPid === undefined ? undefined : processCpuMs(ctx.pagesPid)
  const after = ctx.emulator === undefined ? undefined : await emulatorStats(ctx.emulator)
  const steady = steadyPagesPerSec(sample.doneMs, setting.concurrency)
  const pagesPerSec = round((sample.ok * 1000) / sample.wallMs)
  return {
    threads: setting.threads,
    concurrency: setting.concurrency,
    pages: setting.pages,
    wallMs: round(sample.wallMs),
    pagesPerSec,
    steadyPagesPerSec: Number.isFinite(steady) ? round(steady) : undefined,
    runs: [Number.isFinite(steady) ? round(steady) : pagesPerSec],
    threadsReadyMs: sample.threadsReadyMs === null ? null : round(sample.threadsReadyMs),
    pageServerCores: serverBefore === undefined || serverAfter === undefined ? undefined : round((serverAfter - serverBefore) / elapsed, 2),
    p50PageMs: round(percentile(sample.pageMs, 50)),
    p50ModelMs: round(percentile(sample.summarizeMs, 50)),
    cpuMs: round(sample.cpuMs),
    requests: before === undefined || after === undefined ? null : after.requests - before.requests,
    throttled: before === undefined || after === undefined ? null : after.throttled - before.throttled,
    failed: sample.failed,
    errors: sample.errors,
  }
}

/**
 * The two settings the advice will compare, to run again: the one the sweep would recommend
 * (the fewest threads and least concurrency within 3% of the fastest, or the last before a
 * quota's plateau) and its nearest rival. The two fastest were once run again instead, and the
 * advice then set the recommendation against a rival with one run while the extra runs had
 * gone to another setting.
 */
function confirmedPair(points: readonly TunePoint[], cores: number): TunePoint[] {
  if (points.length === 0) return []
  const { best } = analyzeSweep(points, cores)
  const rival = nearestRival(best, points)
  return rival === undefined ? [best] : [best, rival]
}

/** Runs `point`'s setting `times` more and folds the runs in: the median steady rate, every run's rate kept. */
async function confirm(point: TunePoint, times: number, ctx: SweepContext): Promise<void> {
  for (let i = 0; i < times; i++) {
    const again = await runSetting(point, ctx)
    point.runs = [...(point.runs ?? []), ...(again.runs ?? [])]
  }
  const runs = point.runs ?? []
  if (point.steadyPagesPerSec !== undefined && runs.length > 0) point.steadyPagesPerSec = round(median(runs))
}

/**
 * `summarize-urls tune`: runs the pool strategy over a grid of thread counts and
 * concurrencies against a spawned emulator (or a real endpoint, which needs `--yes` past a
 * handful of requests), runs the best setting and its nearest rival again for a spread, and
 * explains the recommendation with Little's law, where the throughput curve flattens, what
 * limits it, and how long a run must be for threads to repay their start.
 */
export async function runTune(options: TuneOptions, io: BenchIO): Promise<TuneResult> {
  const resolved = resolveTuneOptions(options)
  const cores = availableParallelism()
  const settings = tuneSettings(resolved)
  guardBilled(resolved, settings.reduce((n, s) => n + s.pages, 0))
  const corpus = resolveCorpus(resolved.corpus)
  const machine = describeMachine(undefined)
  const log = (line: string): void => void io.stderr.write(`tune: ${line}\n`)
  log(`corpus: ${corpus.label}`)
  const maxConcurrency = Math.max(...resolved.concurrency)
  const { summarizer, model, emulator } = await modelTarget(resolved, maxConcurrency)
  log(`model: ${model}`)

  const points: TunePoint[] = []
  let interrupted = false
  const pages = await startPageServerChild(corpus)
  try {
    const paths = corpus.pages.map((page) => `/${page}`)
    const ctx: SweepContext = { paths, pagesUrl: pages.url, pagesPid: pages.child.process.pid, summarizer, emulator: emulator?.child, fakeCredentials: resolved.target.kind === 'emulator' }
    if (emulator !== undefined && resolved.emulatorRpm === undefined && resolved.emulatorTpm === undefined && settings.reduce((n, s) => n + s.pages, 0) > 2 * paths.length) {
      // The emulator ranks each new page's text for its canned reply (tens of ms of its CPU):
      // done once here, so that no setting competes with it for the cores. A sweep too small
      // to repeat pages would spend more on this than it saves.
      log(`warming the emulator with the ${paths.length} corpus pages (not measured)`)
      await runNodeJob({ runner: 'async', urls: pageUrls(pages.url, paths), concurrency: Math.min(maxConcurrency, 32), threads: 1, summarizer, maxChars: DEFAULTS.maxChars }, true)
    }
    for (const setting of settings) {
      if (io.signal?.aborted === true) {
        interrupted = true
        break
      }
      const point = await runSetting(setting, ctx)
      points.push(point)
      log(`threads ${point.threads} concurrency ${point.concurrency}: ${point.pagesPerSec} pages/s${point.throttled ? `, ${point.throttled} throttled` : ''}${point.failed > 0 ? `, ${point.failed} failed` : ''}`)
    }
    for (const point of confirmedPair(points.filter((p) => p.pages > p.failed), cores)) {
      if (io.signal?.aborted === true || resolved.target.kind === 'endpoint') break
      log(`threads ${point.threads} concurrency ${point.concurrency}: ${CONFIRM_RUNS} more runs, for the spread behind the recommendation`)
      await confirm(point, CONFIRM_RUNS, ctx)
    }
  } finally {
    await pages.child.stop()
    await emulator?.child.stop()
  }
  const okPoints = points.filter((p) => p.pages > p.failed)
  const result: TuneResult = { options: resolved, machine, corpus, model, points, analysis: okPoints.length === 0 ? undefined : analyzeSweep(okPoints, cores), interrupted }
  io.stdout.write(formatTune(result, cores))
  if (resolved.json !== undefined) {
    await writeFile(resolved.json, `${JSON.stringify({ machine: result.machine, model: result.model, points: result.points, analysis: result.analysis ?? null }, null, 2)}\n`)
  }
  return result
}

async function emulatorStats(child: Child): Promise<EmulatorStats> {
  child.send('stats')
  return (await child.next<{ type: 'stats'; stats: EmulatorStats }>()).stats
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** The curve, then what to use and why (tune-advice.ts). */
export function formatTune(result: TuneResult, cores: number): string {
  const lines: string[] = []
  lines.push(`summarize-urls tune: ${machineLine(result.machine)}`)
  lines.push(`corpus: ${result.corpus.label}`)
  lines.push(`model: ${result.model}`)
  lines.push(`pool strategy; each setting runs ${result.options.rounds} rounds × concurrency pages in a fresh process (the best two ${1 + CONFIRM_RUNS} times: steady = median, runs = min–max)`)
  lines.push('')
  lines.push(tuneTable(result.points, result.analysis))
  lines.push('')
  if (result.analysis === undefined) lines.push('no setting finished a page: nothing to recommend (see the failed column).')
  else lines.push(...tuneAdvice(result.analysis, result.points, result.options.concurrency, cores))
  if (result.interrupted) lines.push('interrupted: the table has the settings that finished.')
  return `${lines.join('\n')}\n`
}
