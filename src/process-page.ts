import { performance } from 'node:perf_hooks'
import { preparedFrom, type AnalyzeOutcome } from './analyze.js'
import { pageKey, type RunCache, type StoredPage } from './cache/run-cache.js'
import { toErrorData } from './errors.js'
import type { Executor } from './executors/executor.js'
import type { FetchedPage, NotModified, PageFetcher } from './fetch.js'
import { cellText, type Row } from './input/item.js'
import { errorRecord, outcomeRecord, type CacheOutcome, type PageRecord, type RecordContext } from './record.js'
import type { Instruction, PromptTemplate } from './summarizers/prompt-template.js'
import type { SummarizerProvider } from './summarizers/summarizer.js'

export interface PageContext {
  fetcher: PageFetcher
  executor: Executor
  provider: SummarizerProvider
  model: string
  maxChars: number
  maxInputChars: number
  /** The user's instruction (`--prompt`); undefined for the built-in summary. */
  template?: PromptTemplate | undefined
  /** `--charset`: every page is decoded with it. */
  charset?: string | undefined
  /** The run's cache; undefined with `--no-cache`. */
  cache?: RunCache | undefined
}

/**
 * The one page-processing function every strategy runs: fetch on the main thread (I/O,
 * bounded by the run loop), then hand the bytes to the executor for extraction and the
 * model call. Never throws: every failure becomes the page's error record. `fetchStop`
 * cancels the fetch only (a graceful stop), with its reason as the record's error.
 */
export async function processPage(item: { line: number; url: string; columns?: Row | undefined }, ctx: PageContext, signal?: AbortSignal, fetchStop?: AbortSignal): Promise<PageRecord> {
  const started = performance.now()
  const recordCtx: RecordContext = { line: item.line, url: item.url, provider: ctx.provider, model: ctx.model }
  const { cache } = ctx
  const tagged = (record: PageRecord, outcome: CacheOutcome): PageRecord => (cache === undefined ? record : { ...record, cache: outcome })
  const instruction = instructionFor(ctx.template, item.columns)
  let page: FetchedPage | NotModified
  let kept: StoredPage | undefined
  try {
    kept = cache === undefined ? undefined : await cache.page(item.url)
    page = kept === undefined || (kept.etag === undefined && kept.lastModified === undefined) ? await ctx.fetcher.fetch(item.url, signal, fetchStop) : await ctx.fetcher.fetchIfChanged(item.url, kept, signal, fetchStop)
  } catch (error) {
    const fetch = since(started)
    return tagged(errorRecord(recordCtx, toErrorData(error), { fetch, extract: 0, summarize: 0, total: fetch }), 'miss')
  }
  const fetch = since(started)
  if (page.status === 304 && kept !== undefined) {
    // Not modified: the text kept with the validators stands for the page, cut to this run's budget.
    const outcome = await ctx.executor.summarize(preparedFrom(kept, ctx.maxChars, ctx.maxInputChars, page.finalUrl, instruction), signal)
    return tagged(outcomeRecord(recordCtx, page.finalUrl, outcome, { fetch, ...outcome.timingsMs, total: since(started) }), outcome.status === 'ok' && outcome.cache !== 'miss' ? 'revalidated' : 'miss')
  }
  const fetched = page as FetchedPage
  // Kept only when a later run can revalidate it, and the server allows keeping it.
  const keep = cache !== undefined && fetched.noStore !== true && (fetched.etag !== undefined || fetched.lastModified !== undefined) && pageKey(item.url) !== undefined
  const outcome = await ctx.executor.analyze(
    {
      url: fetched.finalUrl,
      body: fetched.body,
      contentType: fetched.contentType,
      headerCharset: fetched.headerCharset,
      forcedCharset: ctx.charset,
      maxChars: ctx.maxChars,
      maxInputChars: ctx.maxInputChars,
      instruction,
      keepText: keep,
    },
    signal,
  )
  if (keep && outcome.status === 'ok' && outcome.extracted !== undefined) {
    await cache.keepPage(item.url, { finalUrl: fetched.finalUrl, etag: fetched.etag, lastModified: fetched.lastModified, ...outcome.extracted })
  }
  const record = outcomeRecord(recordCtx, fetched.finalUrl, outcome, { fetch, ...outcome.timingsMs, total: since(started) })
  return tagged(record, fromCache(outcome) ? 'hit' : 'miss')
}

/** The template with this row's values for the columns it names (a missing cell is empty). */
export function instructionFor(template: PromptTemplate | undefined, columns: Row | undefined): Instruction | undefined {
  if (template === undefined) return undefined
  return { parts: template.parts, columns: Object.fromEntries(template.columns.map((name) => [name, cellText(columns?.[name])])) }
}

function fromCache(outcome: AnalyzeOutcome): boolean {
  return outcome.status === 'ok' && outcome.cache === 'hit'
}

function since(start: number): number {
  return Math.round(performance.now() - start)
}
