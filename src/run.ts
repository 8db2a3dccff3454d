import { setMaxListeners } from 'node:events'
import { performance } from 'node:perf_hooks'
import { ERROR_CODES, UsageError, type ErrorCode } from './errors.js'
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
  elapsedMs: number
}

export interface RunHooks {
  signal?: AbortSignal
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
  // Every page in flight listens to this signal (fetch, pool task, model call): a few
  // listeners per page by design, not a leak.
  setMaxListeners(options.concurrency * 4 + 16, signal)
  const executor = createExecutor(options, summarizer)
  const fetcher = new PageFetcher({
    userAgent: options.userAgent,
    connectTimeoutMs: Math.min(10 * 1000, options.fetchTimeoutMs), // 10 s
    headersTimeoutMs: Math.min(15 * 1000, options.fetchTimeoutMs), // 15 s
    bodyTimeoutMs: Math.min(15 * 1000, options.fetchTimeoutMs), // 15 s between body chunks
    deadlineMs: options.fetchTimeoutMs,
    maxRedirects: options.maxRedirects,
    maxBytes: options.maxPageBytes,
    connections: options.concurrency,
  })
  const ctx: PageContext = {
    fetcher,
    executor,
    provider: summarizer.provider,
    model: modelName(summarizer),
    maxChars: options.maxChars,
    maxInputChars: options.maxInputChars,
  }
  const stats: RunStats = { pages: 0, ok: 0, failed: 0, errors: {}, elapsedMs: 0 }
  const reorder = new ReorderBuffer<PageRecord>()
  let writing: Promise<void> = Promise.resolve()
  let inFlight = 0
  let wake: (() => void) | undefined

  // Writes are chained so records reach the sink one at a time, in the order released.
  const emit = (records: PageRecord[]): void => {
    for (const record of records) {
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
  const complete = (seq: number, record: PageRecord): void => {
    emit(options.unordered ? [record] : reorder.push(seq, record))
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

  const lines = input[Symbol.asyncIterator]()
  let seq = 0
  try {
    for (;;) {
      // Waiting for the next line (a slow pipe, `tail -f`) must not outlast a Ctrl-C.
      const next = await untilAborted(lines.next().catch(inputError), signal)
      if (next === ABORTED || next.done === true) break
      const item = next.value
      const mySeq = seq++
      if (item.error !== undefined) {
        await waitFor(mySeq, false)
        complete(mySeq, errorRecord(contextOf(item, ctx), item.error, ZERO_TIMINGS))
        continue
      }
      await waitFor(mySeq, true)
      if (signal.aborted) {
        // Read but never started: still accounted for, once.
        complete(mySeq, errorRecord(contextOf(item, ctx), abortedError(), ZERO_TIMINGS))
        break
      }
      inFlight += 1
      void processPage(item, ctx, signal).then(
        (record) => {
          complete(mySeq, record)
          settled()
        },
        (error: unknown) => {
          // processPage never rejects; if it ever does, the page still gets its record.
          complete(mySeq, errorRecord(contextOf(item, ctx), { code: ERROR_CODES.INTERNAL, message: String(error), attempts: 1 }, ZERO_TIMINGS))
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
    // A write cut short by Ctrl-C (stdout blocked) is the interruption itself, not a failure.
    if (!(hooks.signal?.aborted === true && error instanceof Error && error.name === 'AbortError')) throw error
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort)
    // Not awaited: a generator blocked on a silent stdin would only answer once it gets a line.
    void lines.return?.()
    await Promise.allSettled([executor.close(), fetcher.close()])
  }
  stats.elapsedMs = Math.round(performance.now() - started)
  return stats
}

const ABORTED = Symbol('aborted')

/** Resolves with `promise`, or with ABORTED as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
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
