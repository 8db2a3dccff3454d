import { NO_RETRY, RETRY, verdictsFor, type ErrorVerdict } from '../control/verdict.js'
import { ERROR_CODES } from '../errors.js'
import { isNetworkErrorCode } from '../net/network-codes.js'

/** What makes the messages name the fix: which setup the run uses. */
export interface OpenAIErrorContext {
  model?: string | undefined
  /** Set for Azure OpenAI: the deployment the calls go to. */
  azureDeployment?: string | undefined
}

/**
 * What the `openai` package attaches to its errors (`APIError` and subclasses); every field
 * may be missing. Read by shape, not by class, so this module does not load the SDK.
 */
interface SdkErrorLike {
  name?: unknown
  message?: unknown
  status?: unknown
  code?: unknown
  type?: unknown
  error?: unknown
  headers?: { get?: (name: string) => string | null }
  cause?: unknown
}

/** Error codes OpenAI sends for a request that every page would make the same way (the model rejects a parameter). */
const REQUEST_SHAPE_CODES = new Set(['unsupported_parameter', 'unsupported_value'])
/** The prompt is longer than the model's window: this page's problem, not the run's. */
const CONTEXT_LENGTH_CODES = new Set(['context_length_exceeded', 'string_above_max_length'])
/** OpenAI answers 429 with this when the account has no credit left: waiting does not help. */
const QUOTA_EXHAUSTED_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached'])

/**
 * The OpenAI (and Azure OpenAI, and compatible servers') error classifier: anything the
 * `openai` client throws, to a verdict, by class name, HTTP status and the body's `code`,
 * never by message text. 401 and 404 repeat for every page and feed the breaker; 429 and
 * 5xx are retried, after `retry-after-ms` or `retry-after` when the server sends one; a 400
 * for a page too long for the model is that page's error. Messages carry the status and the
 * server's own message, scrubbed of anything that looks like a key.
 */
export function classifyOpenAIError(error: unknown, context: OpenAIErrorContext = {}): ErrorVerdict {
  const e: SdkErrorLike = typeof error === 'object' && error !== null ? (error as SdkErrorLike) : {}
  const name = typeof e.name === 'string' ? e.name : 'Error'
  const status = typeof e.status === 'number' ? e.status : undefined
  const code = typeof e.code === 'string' ? e.code : undefined
  const serverMessage = status !== undefined ? scrubKeys(serverText(e)) : ''
  const what = `${name}${status === undefined ? '' : ` (HTTP ${status}${code === undefined ? '' : `, ${code}`})`}${serverMessage === '' ? '' : `: ${serverMessage}`}`
  const { verdict, transient, fatal } = verdictsFor(retryAfterMs(e))
  const azure = context.azureDeployment !== undefined
  const keyVariable = azure ? 'AZURE_OPENAI_API_KEY' : 'OPENAI_API_KEY'

  if (name === 'APIUserAbortError' || name === 'AbortError') return { code: ERROR_CODES.ABORTED, message: 'cancelled during the model call', retryable: false, fatal: false }
  if (name === 'APIConnectionTimeoutError') return transient('APIConnectionTimeoutError: no answer from the OpenAI server within --model-timeout')
  if (status === undefined) {
    const cause = networkCode(e)
    // A wrong host or port in --base-url, as long as no call has worked; later, a blip.
    if (cause === 'ENOTFOUND') return verdict(ERROR_CODES.MODEL_ERROR, 'cannot resolve the OpenAI server (ENOTFOUND): check --base-url or AZURE_OPENAI_ENDPOINT', { retryable: true, maxRetries: 1, fatal: 'untilSuccess' })
    if (cause === 'ECONNREFUSED') return verdict(ERROR_CODES.MODEL_ERROR, 'network error talking to the OpenAI server (ECONNREFUSED): nothing listens there; check --base-url or AZURE_OPENAI_ENDPOINT', { retryable: true, fatal: 'untilSuccess' })
    if (isNetworkErrorCode(cause)) return transient(`network error talking to the OpenAI server (${cause})`)
    if (name === 'APIConnectionError') return transient(`network error talking to the OpenAI server${cause === undefined ? '' : ` (${cause})`}`)
    if (name === 'SyntaxError') return verdict(ERROR_CODES.MODEL_ERROR, 'unparsable response from the OpenAI server (SyntaxError)', { retryable: true, maxRetries: 1, fatal: false })
    return transient(`unexpected error from the OpenAI client (${name})`)
  }

  if (status === 429) {
    if (code !== undefined && QUOTA_EXHAUSTED_CODES.has(code)) return fatal(ERROR_CODES.ACCESS_DENIED, withHint(what, 'The account has no quota left: check its plan and billing.'))
    return verdict(ERROR_CODES.THROTTLED, what, RETRY)
  }
  if (status >= 500 || status === 408 || status === 409) return transient(what)
  if (status === 401) return fatal(ERROR_CODES.ACCESS_DENIED, withHint(what, `Check ${keyVariable}: the key is missing, wrong or revoked.`))
  if (status === 403) return fatal(ERROR_CODES.ACCESS_DENIED, withHint(what, `Check that the key in ${keyVariable} may use ${modelOf(context)}.`))
  if (status === 404) {
    const hint = azure ? `Check --azure-deployment (${context.azureDeployment}), AZURE_OPENAI_ENDPOINT and OPENAI_API_VERSION.` : `Check --model (${context.model ?? 'the model'}) and --base-url.`
    return fatal(ERROR_CODES.MODEL_NOT_FOUND, withHint(what, hint))
  }
  if (code !== undefined && CONTEXT_LENGTH_CODES.has(code)) return verdict(ERROR_CODES.MODEL_VALIDATION, withHint(what, 'The page is too long for the model: lower --max-input-chars.'), NO_RETRY)
  if (code !== undefined && REQUEST_SHAPE_CODES.has(code)) return fatal(ERROR_CODES.MODEL_VALIDATION, withHint(what, `${modelOf(context)} does not take this request; choose another --model.`))
  // Azure's content filter refuses the prompt with 400: deterministic for this page.
  if (code === 'content_filter') return verdict(ERROR_CODES.MODEL_ERROR, `the model declined to summarize the page (${what})`, NO_RETRY)
  return verdict(ERROR_CODES.MODEL_VALIDATION, what, NO_RETRY)
}

const MAX_SERVER_MESSAGE = 300

function modelOf(context: OpenAIErrorContext): string {
  if (context.azureDeployment !== undefined) return `deployment ${context.azureDeployment}`
  return context.model === undefined ? 'the model' : `model ${context.model}`
}

/** The server's own message: the body's `message` (the SDK also prefixes the status, which `what` already says). */
function serverText(e: SdkErrorLike): string {
  const body = e.error
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message
  return typeof e.message === 'string' ? e.message.replace(/^\d{3}\s+/, '') : ''
}

/**
 * OpenAI's 401 quotes part of the key it was given ("Incorrect API key provided: sk-abc…xyz");
 * any key-like word is masked, whole or partial. The summarizer also masks its own key.
 */
export function scrubKeys(message: string): string {
  const text = message
    .replace(/\b(sk|pk|rk|sess)-[A-Za-z0-9_*.-]{4,}/g, '[redacted]')
    .replace(/\b(Bearer|api-key)\s*[:=]?\s*\S+/gi, '$1 [redacted]')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > MAX_SERVER_MESSAGE ? `${text.slice(0, MAX_SERVER_MESSAGE - 1)}…` : text
}

function withHint(what: string, hint: string): string {
  return `${what.replace(/[.\s]+$/, '')}. ${hint}`
}

/** The system error code under a connection error (fetch wraps it: APIConnectionError → TypeError → Error{code}). */
function networkCode(e: SdkErrorLike): string | undefined {
  let current: unknown = e
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/** `retry-after-ms` (OpenAI's, precise) first, then `Retry-After`: seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(e: SdkErrorLike): number | undefined {
  const get = typeof e.headers?.get === 'function' ? (name: string) => e.headers?.get?.(name)?.trim() : () => undefined
  const ms = get('retry-after-ms')
  if (ms !== undefined && ms !== '' && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms))
  const value = get('retry-after')
  if (value === undefined || value === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
