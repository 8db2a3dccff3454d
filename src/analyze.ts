import { performance } from 'node:perf_hooks'
import type { CallGate } from './control/gate.js'
import { decodePage, unreadableReason } from './decode.js'
import { ERROR_CODES, PageError, toErrorData, type ErrorData } from './errors.js'
import { extractPage } from './extract.js'
import type { Summarizer, TokenUsage } from './summarizers/summarizer.js'
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
    })
  | (AnalyzeCommon & { status: 'error'; error: ErrorData })

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u

/** Decode, extract, budget and summarize one page. Never throws: failures are data. */
export async function analyzePage(task: AnalyzeTask, summarizer: Summarizer, signal?: AbortSignal, gate?: CallGate): Promise<AnalyzeOutcome> {
  const timingsMs = { extract: 0, summarize: 0 }
  let title = ''
  let lang = ''
  let summarizing: number | undefined
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
    // One huge page must not blow the model's context window or the bill: everything taken
    // from the page (title and text) counts against the input budget. The title gets at most
    // half of it, so a small budget still leaves room for the text.
    const promptTitle = cutToBudget(title, Math.floor(task.maxInputChars / 2), lang)
    const input = cutToBudget(page.text, task.maxInputChars - promptTitle.length, lang)

    summarizing = performance.now()
    const result = await summarizer.summarize({ text: input, title: promptTitle, lang, langDeclared: page.langDeclared, maxChars: task.maxChars }, signal, gate)
    timingsMs.summarize = elapsed(summarizing)
    // Models overshoot length limits, so the limit is enforced here, once, for every provider.
    const fitted = fitToLength(result.summary.trim(), task.maxChars, lang)
    if (fitted.text === '') {
      throw new PageError(ERROR_CODES.MODEL_ERROR, `the ${summarizer.provider === 'extractive' ? 'summarizer' : 'model'} returned no summary that fits ${task.maxChars} characters`, { attempts: result.attempts })
    }
    return { status: 'ok', title, lang, summary: fitted.text, truncated: fitted.truncated, model: result.model, usage: result.usage, timingsMs }
  } catch (error) {
    // A failed model call still took its time (retries included): the record shows it.
    if (summarizing !== undefined && timingsMs.summarize === 0) timingsMs.summarize = elapsed(summarizing)
    return { status: 'error', title, lang, error: toErrorData(error), timingsMs }
  }
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since)
}
