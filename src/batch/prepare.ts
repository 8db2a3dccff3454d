import { once, setMaxListeners } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Piscina } from 'piscina'
import { ERROR_CODES, toErrorData } from '../errors.js'
import type { RunCache } from '../cache/run-cache.js'
import { PageFetcher } from '../fetch.js'
import { checkColumns } from '../input/check-columns.js'
import type { ColumnInfo, InputItem } from '../input/item.js'
import { columnPicker } from '../input/keep.js'
import { openReader } from '../input/open.js'
import { instructionFor } from '../process-page.js'
import { errorRecord, type PageRecord } from '../record.js'
import { displayUrl } from '../redact.js'
import { recordIdOf } from './record-id.js'
import type { BatchSettings } from './settings.js'
import type { LineInfo } from './job-file.js'
import type { Prepared, PrepareTask } from './prepare-worker.js'

// From source (vitest, tsx) the worker is .ts and needs tsx's loader; from dist/ it is .js.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const WORKER_URL = new URL(`./prepare-worker.${ownExtension}`, import.meta.url)

export interface PrepareResult {
  lines: number
  /** Records written to `recordsPath`, in completion order (the recordId says the line). */
  records: number
  bytes: number
  preModelErrors: PageRecord[]
  /** A table's kept columns (none for a URL list). */
  columns: ColumnInfo[]
  /** Lines answered from the reply cache: in lines.jsonl with their reply, not in any record file. */
  cached: number
}

/**
 * Fetches and extracts every page as the online path does (fetch on the main thread, up to
 * `concurrency` at once; extraction on a Piscina pool of `threads`), and streams one Bedrock
 * record per page to `recordsPath` and its line's metadata to `linesPath`. Pages that fail
 * before the model become error records, returned. Memory stays flat: nothing per page is
 * kept but the failures.
 */
export async function prepare(input: string, settings: BatchSettings, recordsPath: string, linesPath: string, signal?: AbortSignal, cache?: RunCache): Promise<PrepareResult> {
  const list = await openReader(input, process.stdin, { format: settings.inputFormat, urlColumn: settings.urlColumn })
  let columns: ColumnInfo[]
  try {
    columns = checkColumns(input === '-' ? 'stdin' : input, list.columns, settings.template, settings.keep)
  } catch (error) {
    list.close()
    throw error
  }
  const pick = columnPicker(settings.keep)
  const fetcher = new PageFetcher({
    userAgent: settings.userAgent,
    connectTimeoutMs: Math.min(10 * 1000, settings.fetchTimeoutMs), // 10 s
    headersTimeoutMs: Math.min(15 * 1000, settings.fetchTimeoutMs), // 15 s
    bodyTimeoutMs: Math.min(15 * 1000, settings.fetchTimeoutMs), // 15 s between body chunks
    deadlineMs: settings.fetchTimeoutMs,
    maxRedirects: settings.maxRedirects,
    maxBytes: settings.maxPageBytes,
    maxPdfBytes: settings.maxPdfBytes,
    connections: settings.concurrency,
    denyPrivate: settings.denyPrivate,
  })
  const pool = new Piscina<PrepareTask, Prepared>({
    filename: WORKER_URL.href,
    minThreads: settings.threads,
    maxThreads: settings.threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    ...(ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}),
  })
  const records = createWriteStream(recordsPath)
  const lines = createWriteStream(linesPath)
  // Every page in flight may wait on a full stream, and listens to the signal while it fetches: many listeners by design.
  for (const stream of [records, lines]) stream.setMaxListeners(settings.concurrency + 8)
  if (signal !== undefined) setMaxListeners(settings.concurrency * 4 + 16, signal)
  const result: PrepareResult = { lines: 0, records: 0, bytes: 0, preModelErrors: [], columns, cached: 0 }
  const context = { provider: 'bedrock-batch' as const, model: settings.model }

  const one = async (item: InputItem): Promise<void> => {
    result.lines += 1
    const input = pick(item.columns)
    // As online: a page that was started says `miss` with the cache on; a bad line says nothing. The row's cells come last.
    const withInput = (record: PageRecord): PageRecord => (input === undefined ? record : { ...record, input })
    const tagged = (record: PageRecord): PageRecord => withInput(cache === undefined ? record : { ...record, cache: 'miss' })
    const fail = (error: Parameters<typeof errorRecord>[1], fetchMs = 0, finalUrl: string | null = null) =>
      result.preModelErrors.push(tagged(errorRecord({ ...context, line: item.line, url: item.url }, error, { fetch: fetchMs, extract: 0, summarize: 0, total: fetchMs }, finalUrl)))
    if (item.error !== undefined) {
      result.preModelErrors.push(withInput(errorRecord({ ...context, line: item.line, url: item.url }, item.error, { fetch: 0, extract: 0, summarize: 0, total: 0 })))
      return
    }
    const started = performance.now()
    let page
    try {
      page = await fetcher.fetch(item.url, signal)
    } catch (error) {
      return void fail(toErrorData(error), Math.round(performance.now() - started))
    }
    const fetchMs = Math.round(performance.now() - started)
    let prepared: Prepared
    try {
      const task = {
        url: page.finalUrl,
        body: page.body,
        contentType: page.contentType,
        headerCharset: page.headerCharset,
        forcedCharset: settings.charset,
        maxChars: settings.maxChars,
        maxInputChars: settings.maxInputChars,
        // The same instruction, rendered by the same function, as the online path sends.
        instruction: instructionFor(settings.template, item.columns),
      }
      prepared = await pool.run({ task, type: settings.modelInvocationType, model: settings.model }, { transferList: [page.body.buffer as ArrayBuffer] })
    } catch (error) {
      return void fail({ code: ERROR_CODES.WORKER_CRASHED, message: `the worker thread died on this page (${error instanceof Error ? error.message : String(error)})`, attempts: 1 }, fetchMs, page.finalUrl)
    }
    if (prepared.status === 'error') {
      result.preModelErrors.push(
        tagged(errorRecord({ ...context, line: item.line, url: item.url }, prepared.error, { fetch: fetchMs, extract: prepared.extractMs, summarize: 0, total: fetchMs + prepared.extractMs }, page.finalUrl, {
          status: 'error',
          title: prepared.title,
          lang: prepared.lang,
          charset: prepared.charset,
          pages: prepared.pages,
          timingsMs: { extract: prepared.extractMs, summarize: 0 },
          error: prepared.error,
        })),
      )
      return
    }
    // lines.jsonl is written here and uploaded: the URL in the form records have, never its `user:password@`.
    const info: LineInfo = { line: item.line, url: displayUrl(item.url), finalUrl: page.finalUrl, title: prepared.title, lang: prepared.lang, charset: prepared.charset, pages: prepared.pages, fetchMs, extractMs: prepared.extractMs, replyKey: prepared.replyKey, ...(input === undefined ? {} : { input }) }
    const kept = cache === undefined ? undefined : await cache.reply(prepared.replyKey)
    if (kept !== undefined) {
      // Answered before (online or by an earlier job): the line goes to collect with its reply, not to a job.
      result.cached += 1
      const cachedLine = !lines.write(`${JSON.stringify({ ...info, cached: { summary: kept.summary, usage: kept.usage } })}\n`)
      if (cachedLine) await once(lines, 'drain')
      return
    }
    const record = `${JSON.stringify({ recordId: recordIdOf(item.line), modelInput: prepared.modelInput })}\n`
    result.records += 1
    result.bytes += Buffer.byteLength(record)
    // Both lines written before any await: another page's pair cannot come between them, so
    // lines.jsonl stays in the records' order, which is how collect knows a line's job.
    const recordFull = !records.write(record)
    const linesFull = !lines.write(`${JSON.stringify(info)}\n`)
    if (recordFull) await once(records, 'drain')
    if (linesFull) await once(lines, 'drain')
  }

  try {
    const items = list.items()[Symbol.asyncIterator]()
    // `concurrency` loops pull from one iterator: at most that many pages in flight, input read lazily.
    const next = async (): Promise<void> => {
      for (;;) {
        signal?.throwIfAborted()
        const step = await items.next()
        if (step.done === true) return
        await one(step.value)
      }
    }
    await Promise.all(Array.from({ length: settings.concurrency }, next))
  } finally {
    await Promise.allSettled([pool.destroy(), fetcher.close(), end(records), end(lines)])
    list.close()
  }
  result.preModelErrors.sort((a, b) => a.line - b.line)
  return result
}

async function end(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())))
}
