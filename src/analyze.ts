import { performance } from 'node:perf_hooks'
import type { CallGate } from './control/gate.js'
import { decodePage, unreadableReason } from './decode.js'
import { ERROR_CODES, PageError, toErrorData, type ErrorData } from './errors.js'
import { extractPage } from './extract.js'
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
  contentType: 'text/html' | 'text/plain'
  headerCharset: string | undefined
  maxChars: number
  maxInputChars: number
  /** Return the whole extracted text with the outcome (`extracted`), for the page cache. Default false. */
  keepText?: boolean
}

/** A page's extracted text before the input budget's cut: what the page cache keeps. */
export interface PageText {
  title: string
  text: string
  lang: string
  langDeclared: boolean
}

interface AnalyzeCommon {
  title: string
  lang: string
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
  /** Milliseconds spent decoding and extracting. */
  extractMs: number
  /** With `keepText`: the page's whole extracted text. */
  extracted?: PageText | undefined
}

/** Decode, extract, budget and summarize one page. Never throws: failures are data. */
export async function analyzePage(task: AnalyzeTask, summarizer: Summarizer, signal?: AbortSignal, gate?: CallGate): Promise<AnalyzeOutcome> {
  const prepared = preparePage(task)
  return prepared.status === 'prepared' ? summarizePrepared(prepared, summarizer, signal, gate) : prepared
}

/** The CPU half of `analyzePage`: decode, extract and budget. Never throws. */
export function preparePage(task: AnalyzeTask): PreparedPage | AnalyzeOutcome {
  const timingsMs = { extract: 0, summarize: 0 }
  let title = ''
  let lang = ''
  try {
    const started = performance.now()
    const decoded = decodePage(task.body, { headerCharset: task.headerCharset, contentType: task.contentType })
    const unreadable = unreadableReason(decoded)
    if (unreadable !== undefined) {
      throw new PageError(unreadable.binary ? ERROR_CODES.UNSUPPORTED_CONTENT_TYPE : ERROR_CODES.NO_TEXT, unreadable.message)
    }
    const page = extractPage(decoded.text, { url: task.url, contentType: task.contentType })
    title = page.title
    lang = page.lang
    timingsMs.extract = elapsed(started)
    // Whitespace, zero-width characters and punctuation alone are not text to summarize.
    if (!LETTER_OR_DIGIT.test(page.text)) {
      throw new PageError(ERROR_CODES.NO_TEXT, 'the page has no readable text')
    }
    const extracted = { title, text: page.text, lang, langDeclared: page.langDeclared }
    const request = requestFor(extracted, task.maxChars, task.maxInputChars)
    return { status: 'prepared', request, title, lang, extractMs: timingsMs.extract, ...(task.keepText === true ? { extracted } : {}) }
  } catch (error) {
    return { status: 'error', title, lang, error: toErrorData(error), timingsMs }
  }
}

/**
 * The summary request for an extracted page. One huge page must not blow the model's
 * context window or the bill: everything taken from the page (title and text) counts
 * against the input budget. The title gets at most half of it, so a small budget still
 * leaves room for the text.
 */
export function requestFor(page: PageText, maxChars: number, maxInputChars: number): SummaryRequest {
  const promptTitle = cutToBudget(page.title, Math.floor(maxInputChars / 2), page.lang)
  const input = cutToBudget(page.text, maxInputChars - promptTitle.length, page.lang)
  return { text: input, title: promptTitle, lang: page.lang, langDeclared: page.langDeclared, maxChars }
}

/** A page known from the page cache (a `304 Not Modified`): ready for the model with no download and no extraction. */
export function preparedFrom(page: PageText, maxChars: number, maxInputChars: number): PreparedPage {
  return { status: 'prepared', request: requestFor(page, maxChars, maxInputChars), title: page.title, lang: page.lang, extractMs: 0 }
}

/** The model half of `analyzePage`: the summary of a prepared page, fitted to its length. Never throws. */
export async function summarizePrepared(prepared: PreparedPage, summarizer: Summarizer, signal?: AbortSignal, gate?: CallGate): Promise<AnalyzeOutcome> {
  const { request, title, lang } = prepared
  const timingsMs = { extract: prepared.extractMs, summarize: 0 }
  const summarizing = performance.now()
  try {
    const result = await summarizer.summarize(request, signal, gate)
    timingsMs.summarize = elapsed(summarizing)
    // Models overshoot length limits, so the limit is enforced here, once, for every provider.
    const fitted = fitToLength(result.summary.trim(), request.maxChars, lang)
    if (fitted.text === '') {
      throw new PageError(ERROR_CODES.MODEL_ERROR, `the ${summarizer.provider === 'extractive' ? 'summarizer' : 'model'} returned no summary that fits ${request.maxChars} characters`, { attempts: result.attempts })
    }
    return { status: 'ok', title, lang, summary: fitted.text, truncated: fitted.truncated, model: result.model, usage: result.usage, timingsMs, cache: result.cache, extracted: prepared.extracted }
  } catch (error) {
    // A failed model call still took its time (retries included): the record shows it.
    if (timingsMs.summarize === 0) timingsMs.summarize = elapsed(summarizing)
    return { status: 'error', title, lang, error: toErrorData(error), timingsMs }
  }
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since)
}
