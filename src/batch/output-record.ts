import { ERROR_CODES, type ErrorCode, type ErrorData } from '../errors.js'
import { errorRecord, type PageRecord } from '../record.js'
import { displayUrl } from '../redact.js'
import type { TokenUsage } from '../summarizers/summarizer.js'
import { fitToLength } from '../text.js'
import type { LineInfo } from './job-file.js'

/**
 * What collect keeps of an output line until it writes the records: not the model input,
 * which holds the page. `invalid`: the line for this record could not be read (message says why).
 */
export type Outcome =
  | { kind: 'ok'; text: string; usage: TokenUsage | null; stop: string | undefined }
  | { kind: 'error'; errorCode: number; errorMessage: string }
  | { kind: 'invalid'; message: string }

/** The per-record error codes Bedrock writes (HTTP statuses), as our error codes. */
function codeOf(errorCode: number): ErrorCode {
  if (errorCode === 400) return ERROR_CODES.MODEL_VALIDATION
  if (errorCode === 403) return ERROR_CODES.ACCESS_DENIED
  if (errorCode === 404) return ERROR_CODES.MODEL_NOT_FOUND
  if (errorCode === 429) return ERROR_CODES.THROTTLED
  return ERROR_CODES.MODEL_ERROR
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function texts(blocks: unknown): string {
  return Array.isArray(blocks) ? blocks.map((block) => (isObject(block) && typeof block['text'] === 'string' ? block['text'] : '')).join('') : ''
}

/**
 * Reads a Converse reply or a native Anthropic Messages reply, or a per-record error;
 * undefined for a line that is neither (an output file damaged or written by something else).
 */
export function outcomeOf(line: Record<string, unknown>): Outcome | undefined {
  const error = line['error']
  if (isObject(error)) {
    const errorCode = Number(error['errorCode'])
    return { kind: 'error', errorCode: Number.isFinite(errorCode) ? errorCode : 0, errorMessage: typeof error['errorMessage'] === 'string' ? error['errorMessage'] : String(error['errorMessage'] ?? '') }
  }
  const out = line['modelOutput']
  if (!isObject(out)) return undefined
  const message = isObject(out['output']) ? out['output']['message'] : undefined
  if (isObject(message)) {
    const usage = isObject(out['usage']) ? { inputTokens: tokens(out['usage']['inputTokens']), outputTokens: tokens(out['usage']['outputTokens']) } : null
    return { kind: 'ok', text: texts(message['content']).trim(), usage, stop: typeof out['stopReason'] === 'string' ? out['stopReason'] : undefined }
  }
  const usage = isObject(out['usage']) ? { inputTokens: tokens(out['usage']['input_tokens']), outputTokens: tokens(out['usage']['output_tokens']) } : null
  return { kind: 'ok', text: texts(out['content']).trim(), usage, stop: typeof out['stop_reason'] === 'string' ? out['stop_reason'] : undefined }
}

/** A token count as written, or 0 for anything that is not one (a damaged record must not make the cost NaN). */
function tokens(value: unknown): number {
  const n = Number(value ?? 0)
  return Number.isFinite(n) && n >= 0 ? n : 0
}

/**
 * The record the online path would write for this line: the same fields, `provider`
 * `bedrock-batch`, the summary fitted to `maxChars` (models overshoot), and Bedrock's
 * per-record errors as our codes. `missing` explains a record the job never processed.
 */
export function pageRecordOf(info: LineInfo, outcome: Outcome | undefined, model: string, maxChars: number, missing: string): PageRecord {
  const record = outcomeRecordOf(info, outcome, model, maxChars, missing)
  // The row's cells, kept by prepare, come back last, as the online path writes them.
  return info.input === undefined ? record : { ...record, input: info.input }
}

function outcomeRecordOf(info: LineInfo, outcome: Outcome | undefined, model: string, maxChars: number, missing: string): PageRecord {
  const ctx = { line: info.line, url: info.url, provider: 'bedrock-batch' as const, model }
  const timings = { fetch: info.fetchMs, extract: info.extractMs, summarize: 0, total: info.fetchMs + info.extractMs }
  const page = { title: info.title === '' ? null : info.title, lang: info.lang === '' ? null : info.lang, charset: info.charset ?? null, pages: info.pages ?? null }
  const fail = (error: ErrorData): PageRecord => ({ ...forBatch(errorRecord(ctx, error, timings, info.finalUrl)), ...page })
  if (outcome === undefined) return fail({ code: ERROR_CODES.NOT_ATTEMPTED, message: missing, attempts: 0 })
  if (outcome.kind === 'invalid') return fail({ code: ERROR_CODES.BATCH_OUTPUT_INVALID, message: `${outcome.message}; --retry-failed-online sends this page again`, attempts: 1 })
  if (outcome.kind === 'error') return fail({ code: codeOf(outcome.errorCode), message: `Bedrock batch error ${outcome.errorCode}: ${outcome.errorMessage}`, attempts: 1 })
  if (outcome.stop === 'content_filtered' || outcome.stop === 'guardrail_intervened') {
    return fail({ code: ERROR_CODES.MODEL_ERROR, message: `the model declined to summarize the page (stopReason ${outcome.stop})`, attempts: 1 })
  }
  const fitted = maxChars > 0 ? fitToLength(outcome.text, maxChars, info.lang) : { text: outcome.text, truncated: false }
  if (fitted.text === '') return fail({ code: ERROR_CODES.MODEL_ERROR, message: `the model returned no summary${maxChars > 0 ? ` that fits ${maxChars} characters` : ''}`, attempts: 1 })
  return {
    line: info.line,
    url: displayUrl(info.url),
    finalUrl: info.finalUrl,
    status: 'ok',
    ...page,
    summary: fitted.text,
    truncated: fitted.truncated,
    provider: 'bedrock-batch',
    model,
    usage: outcome.usage,
    timingsMs: timings,
    error: null,
  }
}

/**
 * A hint's `--resume` is the online job's: batch has none. The failed lines of a collected
 * output are redone by the online job with that output as its `--out` (it skips the lines
 * already ok, whichever path wrote them).
 */
export function forBatch(record: PageRecord): PageRecord {
  const hint = record.error?.hint
  if (record.error === null || hint === undefined || !hint.includes('--resume')) return record
  return { ...record, error: { ...record.error, hint: hint.replaceAll('--resume', '`summarize-urls LIST --out OUTPUT --resume` (online, OUTPUT being this output)') } }
}
