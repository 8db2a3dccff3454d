import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { ERROR_CODES, UsageError, type ErrorCode } from './errors.js'
import { notAttemptedMessage, type BreakerTrip } from './control/breaker.js'
import { RateController, type RateStats } from './control/rate.js'
import { createExecutor } from './executors/create.js'
import { PageFetcher } from './fetch.js'
import type { InputItem } from './input.js'
import type { ResolvedOptions } from './options.js'
import { ReorderBuffer } from './output/reorder.js'
import { processPage, type PageContext } from './process-page.js'
import { errorRecord, ZERO_TIMINGS, type PageRecord } from './record.js'
import { modelName, type SummarizerConfig } from './summarizers/config.js'

/** Where finished records go. `write` is called in output order, one record at a time. */
export interface RecordSink {
  /** `signal` aborts a write that waits on a full stream (stdout nobody reads) at Ctrl-C. */
  write(record: PageRecord, signal?: AbortSignal): void | Promise<void>
}

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
  elapsedMs: number
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
  /** Lines already done (`--resume`): no fetch, no model call, no record. */
  skip?: (item: { line: number; url: string }) => boolean
  /** Called as each record is written, for progress display. */
  onRecord?: (record: PageRecord) => void
}

/**
 * Runs the whole pipeline over a stream of input lines: at most `concurrency` pages in
 * flight, records written as soon as they and every earlier line are done (or as they
 * finish, with `unordered`). Memory is bounded by the reorder window, not the input size.
 * Resolves with the run's counts; a failed page is a record, never a rejection.
 */
export async function runSummaries(
  input: AsyncIterable<InputItem>,
  sink: RecordSink,
  options: ResolvedOptions,
  summarizer: SummarizerConfig,
  hooks: RunHooks = {},
): Promise<RunStats> {
  const started = performance.now()
  // The run's own signal: aborted by the caller (Ctrl-C), or by us when the sink fails and
  // there is no point finishing pages whose records cannot be kept.
  const controller = new AbortController()
  const { signal } = controller
  const onAbort = (): void => controller.abort(hooks.signal?.reason)
  if (hooks.signal?.aborted) onAbort()
  hooks.signal?.addEventListener('abort', onAbort, { once: true })
  // Stops reading lines: a graceful stop, or the breaker. Pages in flight go on.
  const stopReading = new AbortController()
  let drainTimer: NodeJS.Timeout | undefined
  const onStop = (): void => {
    stopReading.abort()
    drainTimer ??= setTimeout(() => controller.abort(new Error('stopped: pages in flight ran past the drain deadline')), hooks.drainMs ?? DEFAULT_DRAIN_MS)
  }
  if (hooks.stopSignal?.aborted) onStop()
  hooks.stopSignal?.addEventListener('abort', onStop, { once: true })
  // Every page in flight listens to this signal (fetch, pool task, model call): a few
  // listeners per page by design, not a leak.
  setMaxListeners(options.concurrency * 4 + 16, signal)
  // One rate controller for the whole run, whatever the strategy: worker threads reach it
  // over a port, so --rpm and --tpm are the run's quota, not each thread's.
  const rate = summarizer.provider === 'bedrock' ? new RateController({ maxConcurrency: options.concurrency, rpm: options.rpm, tpm: options.tpm }) : undefined
  let breaker: BreakerTrip | null = null
  // The breaker does not stop reading: every remaining line still gets its NOT_ATTEMPTED
  // record (cheaply: nothing is fetched), so the output accounts for the whole input.
  rate?.onTrip((trip) => (breaker = trip))
  const executor = createExecutor(options, summarizer, rate)
  const fetcher = new PageFetcher({
    userAgent: options.userAgent,
    connectTimeoutMs: Math.min(10 * 1000, options.fetchTimeoutMs), // 10 s
    headersTimeoutMs: Math.min(15 * 1000, options.fetchTimeoutMs), // 15 s
    bodyTimeoutMs: Math.min(15 * 1000, options.fetchTimeoutMs), // 15 s between body chunks
    deadlineMs: options.fetchTimeoutMs,
    maxRedirects: options.maxRedirects,
    maxBytes: options.maxPageBytes,
    connections: options.concurrency,
    denyPrivate: options.denyPrivate,
  })
  const ctx: PageContext = {
    fetcher,
    executor,
    provider: summarizer.provider,
    model: modelName(summarizer),
    maxChars: options.maxChars,
    maxInputChars: options.maxInputChars,
  }
  const stats: RunStats = { pages: 0, ok: 0, failed: 0, errors: {}, duplicates: 0, skipped: 0, rate: null, breaker: null, interrupted: false, elapsedMs: 0 }
  const reorder = new ReorderBuffer<PageRecord | null>()
  let writing: Promise<void> = Promise.resolve()
  let inFlight = 0
  let wake: (() => void) | undefined
  /** Each URL is fetched and summarized once; later lines asking for it get its record. */
  const seen = new SeenUrls()

  // Writes are chained so records reach the sink one at a time, in the order released.
  const emit = (records: Array<PageRecord | null>): void => {
    for (const record of records) {
      if (record === null) continue // a skipped line: its record is already written
      stats.pages += 1
      if (record.status === 'ok') stats.ok += 1
      else {
        stats.failed += 1
        stats.errors[record.error.code] = (stats.errors[record.error.code] ?? 0) + 1
      }
      writing = writing.then(() => sink.write(record, signal)).then(() => hooks.onRecord?.(record))
      // A failed write stops the run at once (pages in flight are cancelled, not awaited);
      // the error itself is rethrown where the loop awaits `writing`. Handling it here also
      // keeps it from being an unhandled rejection while the loop waits for a slot.
      writing.catch((error: unknown) => controller.abort(error))
    }
  }
  const complete = (seq: number, record: PageRecord | null): void => {
    if (options.unordered) emit([record])
    else emit(reorder.push(seq, record))
  }
  const settled = (): void => {
    inFlight -= 1
    wake?.()
  }
  const windowFull = (seq: number): boolean => !options.unordered && seq - reorder.next >= options.reorderWindow
  // Bad lines finish at once but still wait for the window, so a stuck first page followed by
  // a million bad lines cannot grow the reorder buffer.
  const waitFor = async (seq: number, needsSlot: boolean): Promise<void> => {
    while ((needsSlot && inFlight >= executor.concurrency) || (windowFull(seq) && inFlight > 0)) {
      await new Promise<void>((resolve) => (wake = resolve))
    }
  }
  const finish = (key: string, seq: number, record: PageRecord): void => {
    complete(seq, record)
    for (const duplicate of seen.finish(key, record)) complete(duplicate.seq, copyFor(duplicate, record))
  }

  const lines = input[Symbol.asyncIterator]()
  let seq = 0
  try {
    for (;;) {
      // Waiting for the next line (a slow pipe, `tail -f`) must not outlast a Ctrl-C.
      const next = await untilAborted(lines.next().catch(inputError), stopReading.signal, signal)
      if (next === ABORTED || next.done === true) break
      const item = next.value
      if (hooks.skip?.(item) === true) {
        stats.skipped += 1
        complete(seq++, null)
        continue
      }
      const mySeq = seq++
      if (item.error !== undefined) {
        await waitFor(mySeq, false)
        complete(mySeq, errorRecord(contextOf(item, ctx), item.error, ZERO_TIMINGS))
        continue
      }
      const key = urlKey(item.url)
      const earlier = seen.lookup(key)
      if (earlier !== undefined) {
        stats.duplicates += 1
        await waitFor(mySeq, false)
        if (earlier.record !== undefined) complete(mySeq, copyFor({ line: item.line, url: item.url }, JSON.parse(earlier.record) as PageRecord))
        else earlier.waiting.push({ seq: mySeq, line: item.line, url: item.url })
        continue
      }
      if (breaker !== null) {
        // Errors that repeat for every page stopped the run: the rest is accounted for, not sent.
        await waitFor(mySeq, false)
        complete(mySeq, errorRecord(contextOf(item, ctx), notAttemptedError(breaker), ZERO_TIMINGS))
        continue
      }
      await waitFor(mySeq, true)
      if (signal.aborted || stopReading.signal.aborted) {
        // Read but never started: still accounted for, once.
        complete(mySeq, errorRecord(contextOf(item, ctx), abortedError(), ZERO_TIMINGS))
        break
      }
      if (breaker !== null) {
        complete(mySeq, errorRecord(contextOf(item, ctx), notAttemptedError(breaker), ZERO_TIMINGS))
        continue
      }
      inFlight += 1
      seen.start(key)
      void processPage(item, ctx, signal).then(
        (record) => {
          finish(key, mySeq, record)
          settled()
        },
        (error: unknown) => {
          // processPage never rejects; if it ever does, the page still gets its record.
          finish(key, mySeq, errorRecord(contextOf(item, ctx), { code: ERROR_CODES.INTERNAL, message: String(error), attempts: 1 }, ZERO_TIMINGS))
          settled()
        },
      )
      // Let the sink drain between pages so a slow stdout applies backpressure.
      await writing
    }
    while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve))
    await writing
  } catch (error) {
    // The sink or the input failed: stop the pages in flight and let them settle.
    controller.abort(error)
    while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve))
    // A write cut short by Ctrl-C, or by the drain deadline after a stop (stdout blocked), is
    // the interruption itself, not a failure.
    const interrupted = hooks.signal?.aborted === true || hooks.stopSignal?.aborted === true
    if (!(interrupted && error instanceof Error && error.name === 'AbortError')) throw error
  } finally {
    clearTimeout(drainTimer)
    hooks.signal?.removeEventListener('abort', onAbort)
    hooks.stopSignal?.removeEventListener('abort', onStop)
    // Not awaited: a generator blocked on a silent stdin would only answer once it gets a line.
    void lines.return?.()
    rate?.close()
    await Promise.allSettled([executor.close(), fetcher.close()])
  }
  stats.rate = rate?.stats() ?? null
  stats.breaker = breaker
  stats.interrupted = hooks.signal?.aborted === true || hooks.stopSignal?.aborted === true
  stats.elapsedMs = Math.round(performance.now() - started)
  return stats
}

/** Pages in flight at a graceful stop get this long to finish before they are cancelled. */
export const DEFAULT_DRAIN_MS = 10 * 1000 // 10 s
/**
 * Finished pages remembered for duplicate lines; past it the least recently asked-for are
 * forgotten (a later duplicate of one is fetched again), so memory stays about flat
 * on a 100,000-line list.
 */
const SEEN_URLS_LIMIT = 10_000

interface Duplicate {
  seq: number
  line: number
  url: string
}

/**
 * The URLs of this run, each with its record once it is done, or the later lines waiting for
 * it while it is in flight. Pages in flight are always kept (at most `concurrency` of them);
 * finished ones are an LRU bounded by SEEN_URLS_LIMIT.
 */
class SeenUrls {
  /** `record` is kept as JSON: a flat string, where the record's own strings may be slices that hold a whole page's text. */
  readonly #entries = new Map<string, { record: string | undefined; waiting: Duplicate[] }>()
  #finished = 0

  lookup(key: string): { record: string | undefined; waiting: Duplicate[] } | undefined {
    const entry = this.#entries.get(key)
    if (entry?.record !== undefined) {
      // Most recently used goes last: Map keeps insertion order.
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry
  }

  start(key: string): void {
    this.#entries.set(key, { record: undefined, waiting: [] })
  }

  /** Stores the record and returns the lines that were waiting for it. */
  finish(key: string, record: PageRecord): Duplicate[] {
    const entry = this.#entries.get(key)
    if (entry === undefined) return []
    entry.record = JSON.stringify({ ...record, timingsMs: ZERO_TIMINGS })
    this.#finished += 1
    if (this.#finished > SEEN_URLS_LIMIT) {
      for (const [oldest, candidate] of this.#entries) {
        if (candidate.record === undefined) continue // in flight: its duplicates wait on it
        this.#entries.delete(oldest)
        this.#finished -= 1
        break
      }
    }
    return entry.waiting.splice(0)
  }
}

/** A duplicate line's record: the first line's outcome, this line's number and URL; no time spent. */
function copyFor(line: { line: number; url: string }, record: PageRecord): PageRecord {
  return { ...record, line: line.line, url: line.url, timingsMs: ZERO_TIMINGS }
}

/** Two lines name the same page when their URLs are equal once normalised; the fragment never reaches the server. */
function urlKey(url: string): string {
  const parsed = new URL(url)
  parsed.hash = ''
  return parsed.href
}

function notAttemptedError(trip: BreakerTrip) {
  return { code: ERROR_CODES.NOT_ATTEMPTED, message: notAttemptedMessage(trip), attempts: 1 }
}

const ABORTED = Symbol('aborted')

/** Resolves with `promise`, or with ABORTED as soon as one of `signals` aborts. */
function untilAborted<T>(promise: Promise<T>, ...signals: AbortSignal[]): Promise<T | typeof ABORTED> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(ABORTED)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED)
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => {
      for (const s of signals) s.removeEventListener('abort', onAbort)
    })
  })
}

/** A failing input stream (EIO, a deleted FIFO) is the user's input, not a bug. */
function inputError(error: unknown): never {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? (error instanceof Error ? error.message : String(error))
  throw new UsageError(`cannot read the URL list: ${code}`, { cause: error })
}

function contextOf(item: InputItem, ctx: PageContext) {
  return { line: item.line, url: item.url, provider: ctx.provider, model: ctx.model }
}

function abortedError() {
  return { code: ERROR_CODES.ABORTED, message: 'the run was cancelled before this page started', attempts: 1 }
}
