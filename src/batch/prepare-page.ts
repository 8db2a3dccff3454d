import { once } from 'node:events'
import type { WriteStream } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { Piscina } from 'piscina'
import type { RunCache } from '../cache/run-cache.js'
import { ERROR_CODES, toErrorData } from '../errors.js'
import type { FetchedPage, PageFetcher } from '../fetch.js'
import type { InputItem, Row } from '../input/item.js'
import { instructionFor } from '../process-page.js'
import { errorRecord, type PageRecord } from '../record.js'
import { displayUrl } from '../redact.js'
import type { LineInfo } from './job-file.js'
import { forBatch } from './output-record.js'
import type { Prepared, PrepareTask } from './prepare-worker.js'
import { recordIdOf } from './record-id.js'
import type { BatchSettings } from './settings.js'

/** What every page of a preparation shares, and the counts it adds to. */
export interface PreparationParts {
  settings: BatchSettings
  fetcher: PageFetcher
  pool: Piscina<PrepareTask, Prepared>
  /** The records file (one Bedrock record a page) and lines.jsonl (each line's metadata). */
  records: WriteStream
  lines: WriteStream
  /** A table's kept cells of a row. */
  pick: (row: Row | undefined) => Row | undefined
  counts: { lines: number; records: number; bytes: number; cached: number; preModelErrors: PageRecord[] }
  cache?: RunCache | undefined
  signal?: AbortSignal | undefined
}

/**
 * Prepares one line as the online path would process it, up to the model call: fetch on the
 * main thread, extraction on the pool, then its record and its line written, its reply taken
 * from the cache, or an error record kept for the failures.
 */
export async function preparePage(item: InputItem, parts: PreparationParts): Promise<void> {
  const { counts, settings } = parts
  counts.lines += 1
  const input = parts.pick(item.columns)
  // As online: a page that was started says `miss` with the cache on; a bad line says nothing. The row's cells come last.
  const withInput = (record: PageRecord): PageRecord => (input === undefined ? forBatch(record) : { ...forBatch(record), input })
  const tagged = (record: PageRecord): PageRecord => withInput(parts.cache === undefined ? record : { ...record, cache: 'miss' })
  const context = { provider: 'bedrock-batch' as const, model: settings.model, line: item.line, url: item.url }
  const fail = (error: Parameters<typeof errorRecord>[1], fetchMs = 0, finalUrl: string | null = null): void => {
    counts.preModelErrors.push(tagged(errorRecord(context, error, { fetch: fetchMs, extract: 0, summarize: 0, total: fetchMs }, finalUrl)))
  }
  if (item.error !== undefined) {
    counts.preModelErrors.push(withInput(errorRecord(context, item.error, { fetch: 0, extract: 0, summarize: 0, total: 0 })))
    return
  }
  const started = performance.now()
  let page: FetchedPage
  try {
    page = await parts.fetcher.fetch(item.url, parts.signal)
  } catch (error) {
    return fail(toErrorData(error), Math.round(performance.now() - started))
  }
  const fetchMs = Math.round(performance.now() - started)
  let prepared: Prepared
  try {
    prepared = await extract(parts, item, page)
  } catch (error) {
    return fail({ code: ERROR_CODES.WORKER_CRASHED, message: `the worker thread died on this page (${error instanceof Error ? error.message : String(error)})`, attempts: 1 }, fetchMs, page.finalUrl)
  }
  if (prepared.status === 'error') {
    const timings = { fetch: fetchMs, extract: prepared.extractMs, summarize: 0, total: fetchMs + prepared.extractMs }
    const { title, lang, charset, pages, extractMs, error } = prepared
    counts.preModelErrors.push(tagged(errorRecord(context, error, timings, page.finalUrl, { status: 'error', title, lang, charset, pages, timingsMs: { extract: extractMs, summarize: 0 }, error })))
    return
  }
  // lines.jsonl is written here and uploaded: the URL in the form records have, never its `user:password@`.
  const info: LineInfo = { line: item.line, url: displayUrl(item.url), finalUrl: page.finalUrl, title: prepared.title, lang: prepared.lang, charset: prepared.charset, pages: prepared.pages, fetchMs, extractMs: prepared.extractMs, replyKey: prepared.replyKey, ...(input === undefined ? {} : { input }) }
  await write(parts, item, info, prepared)
}

/** Decodes and extracts the page on the pool, and renders the model input the online path would send. */
function extract(parts: PreparationParts, item: InputItem, page: FetchedPage): Promise<Prepared> {
  const { settings } = parts
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
  return parts.pool.run({ task, type: settings.modelInvocationType, model: settings.model }, { transferList: [page.body.buffer as ArrayBuffer] })
}

/** Writes a prepared line: with its reply when the cache has one, else with its record. */
async function write(parts: PreparationParts, item: InputItem, info: LineInfo, prepared: Extract<Prepared, { status: 'ok' }>): Promise<void> {
  const { counts, lines, records } = parts
  const kept = parts.cache === undefined ? undefined : await parts.cache.reply(prepared.replyKey)
  if (kept !== undefined) {
    // Answered before (online or by an earlier job): the line goes to collect with its reply, not to a job.
    counts.cached += 1
    const cachedLine = !lines.write(`${JSON.stringify({ ...info, cached: { summary: kept.summary, usage: kept.usage } })}\n`)
    if (cachedLine) await once(lines, 'drain')
    return
  }
  const record = `${JSON.stringify({ recordId: recordIdOf(item.line), modelInput: prepared.modelInput })}\n`
  counts.records += 1
  counts.bytes += Buffer.byteLength(record)
  // Both lines written before any await: another page's pair cannot come between them, so
  // lines.jsonl stays in the records' order, which is how collect knows a line's job.
  const recordFull = !records.write(record)
  const linesFull = !lines.write(`${JSON.stringify(info)}\n`)
  if (recordFull) await once(records, 'drain')
  if (linesFull) await once(lines, 'drain')
}
