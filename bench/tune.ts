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
import { percentile, round } from './stats.js'
import { analyzeSweep, throttledShare, type SweepAnalysis, type TunePoint } from './sweep.js'
import { formatMs } from './table.js'
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

/**
 * `summarize-urls tune`: runs the pool strategy over a grid of thread counts and
 * concurrencies against a spawned emulator (or a real endpoint, which needs `--yes` past a
 * handful of requests), and explains the best setting with Little's law and where the
 * throughput curve flattens.
 */
export async function runTune(options: TuneOptions, io: BenchIO): Promise<TuneResult> {
  const resolved = resolveTuneOptions(options)
  const cores = availableParallelism()
  const settings = tuneSettings(resolved)
  const planned = settings.reduce((n, s) => n + s.pages, 0)
  const { target } = resolved
  if (target.kind === 'endpoint' && target.billed && planned > TUNE_DEFAULTS.freeRequests && !resolved.yes) {
    const url = target.provider === 'openai' ? target.baseUrl : target.endpointUrl
    const where = url === undefined ? (target.provider === 'openai' ? 'OpenAI' : 'Amazon Bedrock') : redactUrlsInText(url)
    throw new UsageError(
      `tune would send about ${planned} model requests to ${where}, which are billed; pass --yes to go ahead, or shrink the sweep (--concurrency, --threads, --rounds) to ${TUNE_DEFAULTS.freeRequests} or fewer`,
    )
  }
  const corpus = resolveCorpus(resolved.corpus)
  const machine = describeMachine(undefined)
  const log = (line: string): void => void io.stderr.write(`tune: ${line}\n`)
  log(`corpus: ${corpus.label}`)

  let summarizer: SummarizerConfig
  let model: string
  let emulator: { child: Child; url: string } | undefined
  const maxConcurrency = Math.max(...resolved.concurrency)
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
    summarizer = resolvedSummarizer.config
    model = resolvedSummarizer.notice.replace(/^using /, '')
  } else {
    const quota = { rpm: resolved.emulatorRpm, tpm: resolved.emulatorTpm, maxConcurrency: resolved.emulatorMaxConcurrency, throttleRate: resolved.throttleRate }
    emulator = await startEmulatorChild({ latencyMs: resolved.latencyMs, jitterMs: resolved.jitterMs, overshootRate: 0, ...withoutUndefined(quota) })
    summarizer = emulatorSummarizer(emulator.url, maxConcurrency)
    const limits = [
      quota.rpm === undefined ? '' : `${quota.rpm} requests/min`,
      quota.tpm === undefined ? '' : `${quota.tpm} tokens/min`,
      quota.maxConcurrency === undefined ? '' : `${quota.maxConcurrency} calls in flight`,
      quota.throttleRate === undefined ? '' : `${quota.throttleRate * 100}% throttled at random`,
    ].filter((s) => s !== '')
    model = `the emulator (spawned), ${resolved.latencyMs} ± ${resolved.jitterMs} ms a call${limits.length === 0 ? '' : `, quota: ${limits.join(', ')}`}`
  }
  log(`model: ${model}`)

  const points: TunePoint[] = []
  let interrupted = false
  const pages = await startPageServerChild(corpus)
  try {
    const paths = corpus.pages.map((page) => `/${page}`)
    const urls = pageUrls(pages.url, paths)
    if (emulator !== undefined && resolved.emulatorRpm === undefined && resolved.emulatorTpm === undefined && planned > 2 * urls.length) {
      // The emulator ranks each new page's text for its canned reply (tens of ms of its CPU):
      // done once here, so that no setting competes with it for the cores. A sweep too small
      // to repeat pages would spend more on this than it saves.
      log(`warming the emulator with the ${urls.length} corpus pages (not measured)`)
      await runNodeJob({ runner: 'async', urls, concurrency: Math.min(maxConcurrency, 32), threads: 1, summarizer, maxChars: DEFAULTS.maxChars }, true)
    }
    for (const setting of settings) {
      if (io.signal?.aborted === true) {
        interrupted = true
        break
      }
      const before = emulator === undefined ? undefined : await emulatorStats(emulator.child)
      const sample = await runNodeJob(
        {
          runner: 'pool',
          urls: pageUrls(pages.url, repeatTo(paths, setting.pages)),
          concurrency: setting.concurrency,
          threads: setting.threads,
          summarizer: perThread(summarizer, setting.concurrency),
          maxChars: DEFAULTS.maxChars,
        },
        target.kind === 'emulator',
      )
      const after = emulator === undefined ? undefined : await emulatorStats(emulator.child)
      const point: TunePoint = {
        threads: setting.threads,
        concurrency: setting.concurrency,
        pages: setting.pages,
        wallMs: round(sample.wallMs),
        pagesPerSec: round((sample.ok * 1000) / sample.wallMs),
        p50PageMs: round(percentile(sample.pageMs, 50)),
        p50ModelMs: round(percentile(sample.summarizeMs, 50)),
        cpuMs: round(sample.cpuMs),
        requests: before === undefined || after === undefined ? null : after.requests - before.requests,
        throttled: before === undefined || after === undefined ? null : after.throttled - before.throttled,
        failed: sample.failed,
        errors: sample.errors,
      }
      points.push(point)
      log(`threads ${point.threads} concurrency ${point.concurrency}: ${point.pagesPerSec} pages/s${point.throttled ? `, ${point.throttled} throttled` : ''}${point.failed > 0 ? `, ${point.failed} failed` : ''}`)
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

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

/** The curve, the best setting, and why. */
export function formatTune(result: TuneResult, cores: number): string {
  const lines: string[] = []
  lines.push(`summarize-urls tune: ${machineLine(result.machine)}`)
  lines.push(`corpus: ${result.corpus.label}`)
  lines.push(`model: ${result.model}`)
  lines.push(`pool strategy; each setting runs ${result.options.rounds} rounds × concurrency pages, once, in a fresh process`)
  lines.push('')
  const a = result.analysis
  const header = ['threads', 'concurrency', 'pages', 'wall', 'pages/s', 'model-bound pages/s', 'p50 page', 'p50 model call', 'CPU/page', 'throttled', 'failed']
  const cells = result.points.map((p) => [
    String(p.threads),
    String(p.concurrency),
    String(p.pages),
    formatMs(p.wallMs),
    fixed(p.pagesPerSec),
    a === undefined ? '-' : fixed((p.concurrency * 1000) / a.pageMs),
    formatMs(p.p50PageMs),
    formatMs(p.p50ModelMs),
    formatMs(p.cpuMs / p.pages),
    p.throttled === null ? '?' : `${p.throttled} (${Math.round(throttledShare(p) * 100)}%)`,
    p.failed === 0 ? '0' : `${p.failed} (${Object.entries(p.errors).map(([code, n]) => `${code} ${n}`).join(', ')})`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] as string).length)))
  const line = (values: string[]): string => values.map((v, i) => (i === header.length - 1 ? v : v.padStart(widths[i] as number))).join('  ')
  lines.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line))
  lines.push('')
  if (a === undefined) {
    lines.push('no setting finished a page: nothing to recommend (see the failed column).')
    return `${lines.join('\n')}\n`
  }
  const b = a.best
  const f = a.fastest
  const instead = f === b ? '' : ` (--threads ${f.threads} --concurrency ${f.concurrency} got ${fixed(f.pagesPerSec)} with ${Math.round(throttledShare(f) * 100)}% of its calls throttled)`
  lines.push(`best: --strategy pool --threads ${b.threads} --concurrency ${b.concurrency}: ${fixed(b.pagesPerSec)} pages/s${instead}`)
  lines.push('why:')
  const allowed = (b.concurrency * 1000) / a.pageMs
  const little =
    `  Little's law: throughput = pages in flight ÷ the time a page holds its slot. Alone, a page takes ${formatMs(a.pageMs)} ` +
    `(its model call ${formatMs(a.latencyMs)}), so --concurrency ${b.concurrency} allows up to ${fixed(allowed)} pages/s, and ${fixed(b.pagesPerSec)} pages/s needs at least ${fixed(a.inFlightNeeded)} pages in flight.`
  const loaded = b.pagesPerSec < 0.8 * allowed ? ` It carried ${fixed(b.pagesPerSec)}: under load a page took ${formatMs(b.p50PageMs)} (p50), so concurrency is not what limits it here.` : ''
  lines.push(little + loaded)
  const threadBound = a.coresNeeded >= 0.8 * b.threads && b.threads < cores
  const machineBound = a.coresNeeded >= 0.8 * cores
  lines.push(
    `  CPU: a page costs ${formatMs(a.cpuMsPerPage)} of CPU (least measured), so ${fixed(b.pagesPerSec)} pages/s keeps ${fixed(a.coresNeeded, 2)} cores busy` +
      (machineBound
        ? `, nearly all ${cores} cores of this machine: its CPU is the limit, and more threads or concurrency will not help.`
        : threadBound
          ? `, about all that ${b.threads} thread${b.threads === 1 ? '' : 's'} can give: extraction is the limit, and more threads (up to the ${cores} cores) should help if the sweep's short settings let them show it.`
          : `; --threads ${b.threads} leaves room (threads beyond the ${cores} cores only add memory).`),
  )
  const plateau = a.plateau
  if (plateau === undefined) {
    lines.push(`plateau: none within this grid: throughput still grows at concurrency ${Math.max(...a.curve.map((p) => p.concurrency))}; try higher --concurrency.`)
  } else {
    const p = plateau.at
    const why = {
      throttling: `throttling: ${Math.round(plateau.throttledShare * 100)}% of calls past it were throttled, and the endpoint accepted about ${Math.round(plateau.acceptedPerMinute)} requests a minute. That is your quota, not a limit of this machine: more concurrency only adds 429s and retries (ask for a higher quota, or set --rpm to stay under it)`,
      cpu: `CPU: the ${cores} cores are busy (extraction and the SDK), so more pages in flight only queue for a thread`,
      'endpoint-latency': 'the endpoint slows down under load: model calls take much longer at higher concurrency',
      unknown: 'no single cause stands out (not throttling, not CPU); check the p50 columns',
    }[plateau.cause]
    lines.push(`plateau: with ${b.threads === p.threads ? `--threads ${p.threads}` : 'the best thread count'}, throughput stops growing past concurrency ${p.concurrency} (${fixed(p.pagesPerSec)} pages/s): ${why}.`)
  }
  if (result.interrupted) lines.push('interrupted: the table has the settings that finished.')
  return `${lines.join('\n')}\n`
}
