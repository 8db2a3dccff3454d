import { performance } from 'node:perf_hooks'
import { toErrorData } from './errors.js'
import type { Executor } from './executors/executor.js'
import type { PageFetcher } from './fetch.js'
import { cellText, type Row } from './input/item.js'
import { errorRecord, outcomeRecord, type PageRecord, type RecordContext } from './record.js'
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
  let page
  try {
    page = await ctx.fetcher.fetch(item.url, signal, fetchStop)
  } catch (error) {
    const fetch = since(started)
    return errorRecord(recordCtx, toErrorData(error), { fetch, extract: 0, summarize: 0, total: fetch })
  }
  const fetch = since(started)
  const outcome = await ctx.executor.analyze(
    {
      url: page.finalUrl,
      body: page.body,
      contentType: page.contentType,
      headerCharset: page.headerCharset,
      forcedCharset: ctx.charset,
      maxChars: ctx.maxChars,
      maxInputChars: ctx.maxInputChars,
      instruction: instructionFor(ctx.template, item.columns),
    },
    signal,
  )
  return outcomeRecord(recordCtx, page.finalUrl, outcome, { fetch, ...outcome.timingsMs, total: since(started) })
}

/** The template with this row's values for the columns it names (a missing cell is empty). */
export function instructionFor(template: PromptTemplate | undefined, columns: Row | undefined): Instruction | undefined {
  if (template === undefined) return undefined
  return { parts: template.parts, columns: Object.fromEntries(template.columns.map((name) => [name, cellText(columns?.[name])])) }
}

function since(start: number): number {
  return Math.round(performance.now() - start)
}
