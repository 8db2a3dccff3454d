import { setMaxListeners } from 'node:events'
import { cacheDirOf } from './cache/dir.js'
import { peerBoard } from './control/peer-board.js'
import { RunCache } from './cache/run-cache.js'
import { performance } from 'node:perf_hooks'
import type { BreakerTrip } from './control/breaker.js'
import { RateController, type RateStats } from './control/rate.js'
import type { ErrorCode } from './errors.js'
import type { InputItem, Row } from './input/item.js'
import type { ResolvedOptions } from './options.js'
import type { RecordSink } from './output/sink.js'
import { AdmissionWindow } from './pipeline/admission.js'
import { LineDispatch } from './pipeline/line-dispatch.js'
import { LineReader } from './input/line-reader.js'
import { OrderedWrites } from './pipeline/ordered-writes.js'
import { openPageContext } from './pipeline/page-context.js'
import { RunSignals } from './pipeline/run-signals.js'
import type { PageRecord } from './record.js'
import type { SummarizerConfig } from './summarizers/config.js'

export interface RunStats {
  pages: number
  ok: number
  failed: number
  /** Failed pages by error code. */
  errors: Partial<Record<ErrorCode, number>>
  /** Lines that repeated an earlier URL: answered with its record, not fetched again. */
  duplicates: number
  /** Lines passed over because `skip` said they were done (`--resume`); not in `pages`. */
  skipped: number
  /** Model calls, throttling and the in-flight limit at the end; null without a model. */
  rate: RateStats | null
  /** Set when errors that repeat for every page stopped the run. */
  breaker: BreakerTrip | null
  /** The run stopped early (stop or abort signal): lines after the last one read have no record. */
  interrupted: boolean
  /** What the cache answered; null with `--no-cache`. */
  cache: CacheStats | null
  elapsedMs: number
}

export interface CacheStats {
  /** Records whose reply came from the cache (`hit` and `revalidated`). */
  fromCache: number
  /** Of those, pages the server said were not modified (no download, no extraction). */
  revalidated: number
  /** Entries found damaged (truncated, overwritten, unreadable): each was a miss, and is removed. */
  damaged: number
  /** Tokens the cached replies were billed when they were made: what this run did not pay again. */
  saved: { inputTokens: number; outputTokens: number }
  /** The run's model, for the price of what was saved. */
  model: string
}

export interface RunHooks {
  /** Cancels everything at once: pages in flight end as ABORTED records (a second Ctrl-C). */
  signal?: AbortSignal
  /**
   * Stops starting new pages; pages in flight may finish for up to `drainMs`, then are
   * cancelled (a first Ctrl-C, SIGTERM). Lines not yet read get no record.
   */
  stopSignal?: AbortSignal
  /** How long pages in flight may run on after `stopSignal`. Default 10 s. */
  drainMs?: number
  /** Lines already done (`--resume`): no fetch, no model call, no record. `input`: the row's kept cells, for the record it is given. */
  skip?: (item: { line: number; url: string; input?: Row | undefined; columns?: Row | undefined }) => boolean
  /** Called as each record is written, for progress display. */
  onRecord?: (record: PageRecord) => void
  /**
   * Lines of the input that `skip` does not pass over (all of them without `skip`), once
   * known (a file counted while the run starts); undefined while unknown (stdin). The pool
   * starts threads only for work ahead that repays them.
   */
  inputLines?: () => number | undefined
  /**
   * The cache, opened by the caller (a job opens it before its output file, so a cache
   * directory it cannot use refuses the job first). Without it, a run with `cache` on opens
   * and closes its own.
   */
  cache?: RunCache | undefined
}

/**
 * Runs the whole pipeline over a stream of input lines: read a line → skip it if done →
 * answer a duplicate from its first line → account for it if the breaker tripped → wait
 * for the admission window → process the page → put records back in input order → write
 * them to the sink. At most `concurrency` pages are in flight, and records are written as
 * soon as they and every earlier line are done (or as they finish, with `unordered`), so
 * memory is bounded by the reorder window, not the input size. Resolves with the run's
 * counts; a failed page is a record, never a rejection.
 */
export async function runSummaries(
  input: AsyncIterable<InputItem>,
  sink: RecordSink,
  options: ResolvedOptions,
  summarizer: SummarizerConfig,
  hooks: RunHooks = {},
): Promise<RunStats> {
  const started = performance.now()
  const signals = new RunSignals(hooks)
  const { signal } = signals
  allowListeners(signals, options.concurrency)
  // One rate controller for the whole run, whatever the strategy: worker threads reach it
  // over a port, so --rpm and --tpm are the run's quota, not each thread's.
  const rate = summarizer.provider !== 'extractive' ? new RateController({ maxConcurrency: options.concurrency, rpm: options.rpm, tpm: options.tpm, peers: peerBoard(options, summarizer) }) : undefined
  let breaker: BreakerTrip | null = null
  // The breaker does not stop reading: every remaining line still gets its NOT_ATTEMPTED
  // record (cheaply: nothing is fetched), so the output accounts for the whole input.
  rate?.onTrip((trip) => (breaker = trip))
  // Line number of the last line read; less the lines skipped, the lines read of those
  // `inputLines` counts, so the pages still ahead.
  let lastLine = 0
  const pagesAhead = (): number | undefined => {
    const lines = hooks.inputLines?.()
    return lines === undefined ? undefined : Math.max(0, lines - (lastLine - stats.skipped)) + window.inFlight
  }
  const ownCache = hooks.cache === undefined && options.cache ? await RunCache.open(cacheDirOf(options), options.cacheMaxBytes) : undefined
  const cache = hooks.cache ?? ownCache
  const pages = openPageContext(options, summarizer, rate, pagesAhead, cache)
  const { ctx } = pages
  const stats = newStats(cache === undefined ? undefined : ctx.model)
  const writes = new OrderedWrites(sink, {
    unordered: options.unordered,
    signal,
    onRelease: (record) => count(stats, record),
    onWritten: hooks.onRecord,
    onWriteError: (error) => signals.abort(error),
  })
  const window = new AdmissionWindow(ctx.executor.concurrency, (seq) => !options.unordered && seq - writes.next >= options.reorderWindow)
  const dispatch = new LineDispatch({ ctx, options, writes, window, signals, stats, skip: hooks.skip, breaker: () => breaker })

  const lines = new LineReader(input, signals.reading, signal)
  try {
    const inputFailed = await readAll(lines, dispatch, writes, (line) => (lastLine = line))
    await window.idle()
    await writes.written()
    if (inputFailed !== undefined) throw inputFailed.error
  } catch (error) {
    // The sink or the input failed: stop the pages in flight and let them settle.
    signals.abort(error)
    await window.idle()
    // A write cut short by Ctrl-C, or by the drain deadline after a stop (stdout blocked), is
    // the interruption itself, not a failure.
    if (!(signals.interrupted && error instanceof Error && error.name === 'AbortError')) throw error
  } finally {
    signals.dispose()
    lines.close()
    rate?.close()
    await pages.close()
    await ownCache?.close()
  }
  if (stats.cache !== null && cache !== undefined) stats.cache.damaged = cache.health.damaged
  stats.rate = rate?.stats() ?? null
  stats.breaker = breaker
  stats.interrupted = signals.interrupted
  stats.elapsedMs = Math.round(performance.now() - started)
  return stats
}

/**
 * Reads every line and places it; returns the input's error, if it broke. A file that breaks
 * part way (an unclosed quote, EIO) stops the reading, not the pages in flight: their fetches
 * and model calls are paid for, so they finish and are written before the error is thrown.
 */
async function readAll(lines: LineReader, dispatch: LineDispatch, writes: OrderedWrites, onLine: (line: number) => void): Promise<{ error: unknown } | undefined> {
  let inputFailed: { error: unknown } | undefined
  for (let seq = 0; ; seq += 1) {
    let item: InputItem | undefined
    try {
      item = await lines.next()
    } catch (error) {
      inputFailed = { error }
      break
    }
    if (item === undefined) break
    onLine(item.line)
    const placed = await dispatch.place(item, seq)
    if (placed === 'stopped') break
    // Let the sink drain between pages so a slow stdout applies backpressure.
    if (placed === 'started') await writes.written()
  }
  return inputFailed
}

function allowListeners(signals: RunSignals, concurrency: number): void {
  // Every page in flight listens to this signal (fetch, pool task, model call): a few
  // listeners per page by design, not a leak.
  setMaxListeners(concurrency * 4 + 16, signals.signal)
  // And each fetch in flight listens to the stop's fetch deadline.
  setMaxListeners(concurrency + 16, signals.fetching)
}

/** Stats with nothing counted yet; `cacheModel`: the run's model, when it has a cache. */
function newStats(cacheModel: string | undefined): RunStats {
  const cache = cacheModel === undefined ? null : { fromCache: 0, revalidated: 0, damaged: 0, saved: { inputTokens: 0, outputTokens: 0 }, model: cacheModel }
  return { pages: 0, ok: 0, failed: 0, errors: {}, duplicates: 0, skipped: 0, rate: null, breaker: null, interrupted: false, cache, elapsedMs: 0 }
}

function count(stats: RunStats, record: PageRecord): void {
  stats.pages += 1
  if (stats.cache !== null && (record.cache === 'hit' || record.cache === 'revalidated')) {
    stats.cache.fromCache += 1
    if (record.cache === 'revalidated') stats.cache.revalidated += 1
    stats.cache.saved.inputTokens += record.usage?.inputTokens ?? 0
    stats.cache.saved.outputTokens += record.usage?.outputTokens ?? 0
  }
  if (record.status === 'ok') stats.ok += 1
  else {
    stats.failed += 1
    stats.errors[record.error.code] = (stats.errors[record.error.code] ?? 0) + 1
  }
}
