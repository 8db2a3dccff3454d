import { performance } from 'node:perf_hooks'
import { preparedFrom, type AnalyzeOutcome } from './analyze.js'
import { pageKey, type RunCache, type StoredPage } from './cache/run-cache.js'
import { toErrorData } from './errors.js'
import type { Executor } from './executors/executor.js'
import type { FetchedPage, NotModified, PageFetcher } from './fetch.js'
import { errorRecord, outcomeRecord, type CacheOutcome, type PageRecord, type RecordContext } from './record.js'
import type { SummarizerProvider } from './summarizers/summarizer.js'

export interface PageContext {
  fetcher: PageFetcher
  executor: Executor
  provider: SummarizerProvider
  model: string
  maxChars: number
  maxInputChars: number
  /** The run's cache; undefined with `--no-cache`. */
  cache?: RunCache | undefined
}

/**
 * The one page-processing function every strategy runs: fetch on the main thread (I/O,
 * bounded by the run loop), then hand the bytes to the executor for extraction and the
 * model call. Never throws: every failure becomes the page's error record.
 */
export async function processPage(item: { line: number; url: string }, ctx: PageContext, signal?: AbortSignal): Promise<PageRecord> {
  const started = performance.now()
  const recordCtx: RecordContext = { line: item.line, url: item.url, provider: ctx.provider, model: ctx.model }
  const { cache } = ctx
  const tagged = (record: PageRecord, outcome: CacheOutcome): PageRecord => (cache === undefined ? record : { ...record, cache: outcome })
  let page: FetchedPage | NotModified
  let kept: StoredPage | undefined
  try {
    kept = cache === undefined ? undefined : await cache.page(item.url)
    page = kept === undefined || (kept.etag === undefined && kept.lastModified === undefined) ? await ctx.fetcher.fetch(item.url, signal) : await ctx.fetcher.fetchIfChanged(item.url, kept, signal)
  } catch (error) {
    const fetch = since(started)
    return tagged(errorRecord(recordCtx, toErrorData(error), { fetch, extract: 0, summarize: 0, total: fetch }), 'miss')
  }
  const fetch = since(started)
  if (page.status === 304 && kept !== undefined) {
    // Not modified: the text kept with the validators stands for the page, cut to this run's budget.
    const outcome = await ctx.executor.summarize(preparedFrom(kept, ctx.maxChars, ctx.maxInputChars), signal)
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
      maxChars: ctx.maxChars,
      maxInputChars: ctx.maxInputChars,
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

function fromCache(outcome: AnalyzeOutcome): boolean {
  return outcome.status === 'ok' && outcome.cache === 'hit'
}

function since(start: number): number {
  return Math.round(performance.now() - start)
}
