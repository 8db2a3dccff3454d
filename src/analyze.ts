import { performance } from 'node:perf_hooks'
import type { PageContentType } from './content-type.js'
import type { CallGate } from './control/gate.js'
import { decodePage, unreadableReason, type CharsetInfo } from './decode.js'
import { ERROR_CODES, PageError, toErrorData, type ErrorData } from './errors.js'
import { extractPage, type ExtractedPage } from './extract.js'
import { extractPdf, pdfWithoutText, type PdfPages } from './extract/pdf.js'
import type { Instruction } from './summarizers/prompt-template.js'
import type { Summarizer, SummaryRequest, TokenUsage } from './summarizers/summarizer.js'
import { cutToBudget, fitToLength } from './text.js'

/**
 * The half of a page's work that needs CPU or a model: plain, cloneable data, so the same
 * task runs inline (sequential, async) or in a worker thread (pool), whose `body` buffer is
 * transferred rather than copied.
 */
export interface AnalyzeTask {
  /** The URL the body came from (after redirects); extraction resolves links against it. */
  url: string
  body: Uint8Array
  contentType: PageContentType
  headerCharset: string | undefined
  /** `--charset`: decode with this (a label TextDecoder knows) whatever the page says. */
  forcedCharset?: string | undefined
  /** 0: no cap on the reply. */
  maxChars: number
  maxInputChars: number
  /** The user's instruction and this row's values (`--prompt`); default, a summary. */
  instruction?: Instruction | undefined
  /** Return the whole extracted text with the outcome (`extracted`), for the page cache. Default false. */
  keepText?: boolean
}

/** A page's extracted text before the input budget's cut: what the page cache keeps. */
export interface PageText {
  title: string
  text: string
  lang: string
  langDeclared: boolean
  /** How it was decoded (null for a PDF), and a PDF's pages: shown again when the page is revalidated. */
  charset?: CharsetInfo | null
  pages?: PdfPages | null
}

interface AnalyzeCommon {
  title: string
  lang: string
  /** The charset the page was decoded with and why; null for a PDF or a page never decoded. */
  charset: CharsetInfo | null
  /** A PDF's pages, and how many were read; null for other pages. */
  pages: PdfPages | null
  timingsMs: { extract: number; summarize: number }
}

export type AnalyzeOutcome =
  | (AnalyzeCommon & {
      status: 'ok'
      summary: string
      /** The summary was cut to fit `maxChars`. */
      truncated: boolean
      model: string
      usage: TokenUsage | null
      /** `hit`: the reply came from the cache, no call was made; `miss`: the model was called; undefined without a reply cache. */
      cache?: 'hit' | 'miss' | undefined
      /** With `keepText`: the page's whole extracted text. */
      extracted?: PageText | undefined
    })
  | (AnalyzeCommon & { status: 'error'; error: ErrorData })

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u

/**
 * A page decoded, extracted and cut to the input budget: everything before the model call.
 * Plain data, so a worker thread can do the CPU half and the main thread the model call.
 */
export interface PreparedPage {
  status: 'prepared'
  request: SummaryRequest
  title: string
  lang: string
  charset: CharsetInfo | null
  pages: PdfPages | null
  /** Milliseconds spent decoding and extracting. */
  extractMs: number
  /** With `keepText`: the page's whole extracted text. */
  extracted?: PageText | undefined
}

/** Decode, extract, budget and summarize one page. Never throws: failures are data. */
export async function analyzePage(task: AnalyzeTask, summarizer: Summarizer, signal?: AbortSignal, gate?: CallGate): Promise<AnalyzeOutcome> {
  const prepared = await preparePage(task)
  return prepared.status === 'prepared' ? summarizePrepared(prepared, summarizer, signal, gate) : prepared
}

/**
 * The CPU half of `analyzePage`: decode, extract and budget. Never throws (rejects). An HTML
 * or text page is done synchronously, before the returned promise is first awaited (the
 * pool's main-thread turn counts on it); a PDF is read page by page.
 */
export async function preparePage(task: AnalyzeTask): Promise<PreparedPage | AnalyzeOutcome> {
  const timingsMs = { extract: 0, summarize: 0 }
  let title = ''
  let lang = ''
  let charset: CharsetInfo | null = null
  let pages: PdfPages | null = null
  try {
    const started = performance.now()
    let page: ExtractedPage
    if (task.contentType === 'application/pdf') {
      const pdf = await extractPdf(task.body, { maxChars: task.maxInputChars })
      pages = pdf.pages
      if (!LETTER_OR_DIGIT.test(pdf.text)) throw pdfWithoutText(pdf.pages)
      page = pdf
    } else {
      const decoded = decodePage(task.body, { headerCharset: task.headerCharset, contentType: task.contentType, forcedCharset: task.forcedCharset })
      charset = decoded.charset
      const unreadable = unreadableReason(decoded)
      if (unreadable !== undefined) {
        throw new PageError(unreadable.binary ? ERROR_CODES.UNSUPPORTED_CONTENT_TYPE : ERROR_CODES.NO_TEXT, unreadable.message, unreadable.hint === undefined ? {} : { hint: unreadable.hint })
      }
      page = extractPage(decoded.text, { url: task.url, contentType: task.contentType })
    }
    title = page.title
    lang = page.lang
    timingsMs.extract = elapsed(started)
    // Whitespace, zero-width characters and punctuation alone are not text to summarize.
    if (!LETTER_OR_DIGIT.test(page.text)) {
      throw new PageError(ERROR_CODES.NO_TEXT, 'the page has no readable text')
    }
    const extracted: PageText = { title, text: page.text, lang, langDeclared: page.langDeclared, charset, pages }
    const request = requestFor(extracted, task.maxChars, task.maxInputChars, task.url, task.instruction)
    return { status: 'prepared', request, title, lang, charset, pages, extractMs: timingsMs.extract, ...(task.keepText === true ? { extracted } : {}) }
  } catch (error) {
    return { status: 'error', title, lang, charset, pages, error: toErrorData(error), timingsMs }
  }
}

/**
 * The summary request for an extracted page. One huge page must not blow the model's
 * context window or the bill: everything taken from the page (title and text) counts
 * against the input budget. The title gets at most half of it, so a small budget still
 * leaves room for the text.
 */
export function requestFor(page: PageText, maxChars: number, maxInputChars: number, url: string, instruction: Instruction | undefined): SummaryRequest {
  const promptTitle = cutToBudget(page.title, Math.floor(maxInputChars / 2), page.lang)
  const input = cutToBudget(page.text, maxInputChars - promptTitle.length, page.lang)
  const request: SummaryRequest = { text: input, title: promptTitle, lang: page.lang, langDeclared: page.langDeclared, maxChars, url }
  if (instruction !== undefined) request.instruction = instruction
  return request
}

/** A page known from the page cache (a `304 Not Modified`): ready for the model with no download and no extraction. */
export function preparedFrom(page: PageText, maxChars: number, maxInputChars: number, url: string, instruction: Instruction | undefined): PreparedPage {
  return { status: 'prepared', request: requestFor(page, maxChars, maxInputChars, url, instruction), title: page.title, lang: page.lang, charset: page.charset ?? null, pages: page.pages ?? null, extractMs: 0 }
}

/** The model half of `analyzePage`: the summary of a prepared page, fitted to its length. Never throws. */
export async function summarizePrepared(prepared: PreparedPage, summarizer: Summarizer, signal?: AbortSignal, gate?: CallGate): Promise<AnalyzeOutcome> {
  const { request, title, lang, charset, pages } = prepared
  const timingsMs = { extract: prepared.extractMs, summarize: 0 }
  const summarizing = performance.now()
  try {
    const result = await summarizer.summarize(request, signal, gate)
    timingsMs.summarize = elapsed(summarizing)
    // Models overshoot length limits, so the limit is enforced here, once, for every provider.
    const reply = result.summary.trim()
    const fitted = request.maxChars > 0 ? fitToLength(reply, request.maxChars, lang) : { text: reply, truncated: false }
    if (fitted.text === '') {
      const fits = request.maxChars > 0 ? ` that fits ${request.maxChars} characters` : ''
      throw new PageError(ERROR_CODES.MODEL_ERROR, `the ${summarizer.provider === 'extractive' ? 'summarizer' : 'model'} returned no summary${fits}`, { attempts: result.attempts })
    }
    return { status: 'ok', title, lang, charset, pages, summary: fitted.text, truncated: fitted.truncated, model: result.model, usage: result.usage, timingsMs, cache: result.cache, extracted: prepared.extracted }
  } catch (error) {
    // A failed model call still took its time (retries included): the record shows it.
    if (timingsMs.summarize === 0) timingsMs.summarize = elapsed(summarizing)
    return { status: 'error', title, lang, charset, pages, error: toErrorData(error), timingsMs }
  }
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since)
}
