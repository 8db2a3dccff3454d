import { errors as undiciErrors } from 'undici'
import { ERROR_CODES, PageError } from '../errors.js'
import { redactUrlsInText } from '../redact.js'
import { formatDuration, truncate } from './messages.js'

/** The timeouts a failure message names; the page fetcher's settings satisfy it. */
export interface FetchTimeouts {
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
}

/** Node's and undici's codes for a bad call (or a fetch after close) rather than a failed connection: these are bugs. */
const PROGRAMMING_ERROR_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_URL',
])

/**
 * A response that breaks HTTP/1.1 (chunk framing, status line, header syntax: llhttp's
 * `HPE_*`), or whose body does not match its Content-Length: the site's fault, not ours.
 * undici's HTTPParserError often carries no code at all, so it is known by its class.
 */
function isProtocolError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as Error & { code?: unknown }).code
    if (current instanceof undiciErrors.HTTPParserError || current instanceof undiciErrors.ResponseContentLengthMismatchError) return true
    if (typeof code === 'string' && (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH')) return true
    current = current.cause
  }
  return false
}

/** gzip/deflate (`Z_DATA_ERROR`, …) and brotli (`ERR__ERROR_FORMAT_PADDING_2`, …) failures. */
const ZLIB_ERROR_CODE = /^(?:Z_|ERR__ERROR_)/

/**
 * What went wrong while fetching, as a stable code: timeouts, connection, protocol and
 * decoding failures. `host`: the host of the hop that failed, named for a malformed response.
 */
export function toFetchError(error: unknown, settings: FetchTimeouts, host?: string): unknown {
  if (error instanceof PageError) return error
  if (isProtocolError(error)) {
    const what = truncate(redactUrlsInText(errorMessage(error) ?? 'malformed response'))
    return new PageError(ERROR_CODES.FETCH_FAILED, `${host ?? 'the site'} sent a malformed HTTP response: ${what}`, { cause: error })
  }
  const code = errorCode(error)
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new PageError(ERROR_CODES.FETCH_TIMEOUT, `could not connect within ${formatDuration(settings.connectTimeoutMs)}`, { cause: error, context: { timeout: 'connect' } })
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new PageError(ERROR_CODES.FETCH_TIMEOUT, `no response headers within ${formatDuration(settings.headersTimeoutMs)}`, { cause: error, context: { timeout: 'headers' } })
    case 'UND_ERR_BODY_TIMEOUT':
      return new PageError(ERROR_CODES.FETCH_TIMEOUT, `no body data for ${formatDuration(settings.bodyTimeoutMs)}`, { cause: error, context: { timeout: 'body' } })
  }
  // Anything without a code is not from the network: let it surface as the bug it is.
  if (code === undefined || PROGRAMMING_ERROR_CODES.has(code)) return error
  const message = errorMessage(error) ?? 'connection failed'
  const described = message.includes(code) ? message : `${message} (${code})`
  const prefix = ZLIB_ERROR_CODE.test(code) ? 'could not decompress the body: ' : ''
  return new PageError(ERROR_CODES.FETCH_FAILED, prefix + truncate(redactUrlsInText(described)), { cause: error, context: { networkCode: code } })
}

/**
 * The first `code` on the error, its cause chain, or the first of an AggregateError's errors
 * (Node's happy-eyeballs connect reports ECONNREFUSED that way).
 */
function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as Error & { code?: unknown }).code
    if (typeof code === 'string' && code !== '') return code
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause
  }
  return undefined
}

function errorMessage(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message !== '') return current.message
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause
  }
  return undefined
}
