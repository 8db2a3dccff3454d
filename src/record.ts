import type { AnalyzeOutcome } from './analyze.js'
import type { CharsetInfo } from './decode.js'
import { hintFor } from './error-hints.js'
import type { ErrorData } from './errors.js'
import type { PdfPages } from './extract/pdf.js'
import type { Row } from './input/item.js'
import { displayUrl } from './redact.js'
import type { SummarizerProvider, TokenUsage } from './summarizers/summarizer.js'

/** Milliseconds spent on each step of a page; `total` is wall time from start to record. */
export interface Timings {
  fetch: number
  extract: number
  summarize: number
  total: number
}

interface RecordCommon {
  /** 1-based line number in the input file. */
  line: number
  /** The URL as written on that line (trimmed). */
  url: string
  /** The URL after redirects; null when the page was never fetched. */
  finalUrl: string | null
  title: string | null
  lang: string | null
  /**
   * The charset the page was decoded with and where it came from (`header`, `meta`, `bom`,
   * `utf-8`, `guessed`, `forced`), e.g. `{ "name": "shift_jis", "source": "guessed" }`;
   * null for a PDF or a page that was never decoded.
   */
  charset: CharsetInfo | null
  /** A PDF's page count and the pages read (a long one is cut); null for other pages. */
  pages: PdfPages | null
  /** `bedrock-batch`: written by `batch collect` from a batch inference job's output. */
  provider: SummarizerProvider | 'bedrock-batch'
  model: string
  timingsMs: Timings
  /**
   * With the cache on: `hit` (the reply came from the cache: the page was downloaded and
   * extracted, no model call), `revalidated` (the server answered `304 Not Modified` and the
   * reply came from the cache: no download, no extraction, no call), `miss` (anything else).
   * Absent with `--no-cache`.
   */
  cache?: CacheOutcome
  /**
   * The input row's cells (`--keep-columns`), for a table input: its own, even when its URL
   * repeats an earlier row's. Last in the record; absent for a URL list.
   */
  input?: Row
}

export type CacheOutcome = 'hit' | 'revalidated' | 'miss'

/** One record per input line. Per-page outcomes are data: a failed page never fails the run. */
export type PageRecord =
  | (RecordCommon & {
      status: 'ok'
      summary: string
      /** The summary was cut at a sentence (or character) boundary to fit `--max-chars`. */
      truncated: boolean
      usage: TokenUsage | null
      error: null
    })
  | (RecordCommon & {
      status: 'error'
      summary: null
      truncated: false
      usage: null
      error: ErrorData
    })

export interface RecordContext {
  line: number
  url: string
  provider: SummarizerProvider | 'bedrock-batch'
  model: string
}

export function errorRecord(ctx: RecordContext, error: ErrorData, timingsMs: Timings, finalUrl: string | null = null, outcome?: AnalyzeOutcome): PageRecord {
  return {
    line: ctx.line,
    url: displayUrl(ctx.url),
    finalUrl,
    status: 'error',
    title: emptyToNull(outcome?.title),
    lang: emptyToNull(outcome?.lang),
    charset: outcome?.charset ?? null,
    pages: outcome?.pages ?? null,
    summary: null,
    truncated: false,
    provider: ctx.provider,
    model: ctx.model,
    usage: null,
    timingsMs,
    error: withHint(error),
  }
}

/** The error with its next step: one the raiser chose from its context, else the code's own (src/error-hints.ts). */
function withHint(error: ErrorData): ErrorData {
  if (error.hint !== undefined) return error
  const hint = hintFor(error.code)
  return hint === undefined ? error : { ...error, hint }
}

export function outcomeRecord(ctx: RecordContext, finalUrl: string, outcome: AnalyzeOutcome, timingsMs: Timings): PageRecord {
  if (outcome.status === 'error') return errorRecord(ctx, outcome.error, timingsMs, finalUrl, outcome)
  return {
    line: ctx.line,
    url: displayUrl(ctx.url),
    finalUrl,
    status: 'ok',
    title: emptyToNull(outcome.title),
    lang: emptyToNull(outcome.lang),
    charset: outcome.charset,
    pages: outcome.pages,
    summary: outcome.summary,
    truncated: outcome.truncated,
    provider: ctx.provider,
    model: outcome.model,
    usage: outcome.usage,
    timingsMs,
    error: null,
  }
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value
}

export const ZERO_TIMINGS: Timings = Object.freeze({ fetch: 0, extract: 0, summarize: 0, total: 0 })
