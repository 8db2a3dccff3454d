import { hintFor, type HintContext } from './error-hints.js'

/**
 * Every failure a page can have, as a stable code. Callers branch on `code`, never on the
 * message text; the README lists them, because users grep their output for them.
 */
export const ERROR_CODES = {
  /** The input line is not an absolute http: or https: URL. */
  INVALID_URL: 'INVALID_URL',
  /**
   * A row of a table input cannot be read: another number of fields than the header (CSV),
   * not a JSON object (JSON Lines). The message names the row.
   */
  INVALID_ROW: 'INVALID_ROW',
  /** No response (connect, headers or body) within the fetch timeouts or the page deadline. */
  FETCH_TIMEOUT: 'FETCH_TIMEOUT',
  /** The connection failed: DNS, refused, reset, TLS. */
  FETCH_FAILED: 'FETCH_FAILED',
  /** The server answered with a status other than 2xx. */
  HTTP_STATUS: 'HTTP_STATUS',
  /** More redirects than allowed, or a redirect loop. */
  TOO_MANY_REDIRECTS: 'TOO_MANY_REDIRECTS',
  /** A redirect to something other than http: or https:, or without a usable Location. */
  BAD_REDIRECT: 'BAD_REDIRECT',
  /**
   * With `--deny-private`: the host (or a redirect's host) is, or resolves only to, a loopback,
   * private, link-local or otherwise non-public address. Not retried.
   */
  BLOCKED_ADDRESS: 'BLOCKED_ADDRESS',
  /** The body (after decompression) is larger than the size cap. */
  TOO_LARGE: 'TOO_LARGE',
  /** The Content-Type is not HTML, XHTML, plain text or PDF (and the body is not a PDF either). */
  UNSUPPORTED_CONTENT_TYPE: 'UNSUPPORTED_CONTENT_TYPE',
  /** The PDF needs a password to open. Not retried. */
  PDF_ENCRYPTED: 'PDF_ENCRYPTED',
  /** The body says it is a PDF (Content-Type or `%PDF-`) but PDF.js cannot read it. Not retried. */
  PDF_INVALID: 'PDF_INVALID',
  /**
   * The page is inside the size cap but its markup would cost unbounded memory or time to
   * extract (hundreds of thousands of elements or attributes, tens of thousands of unclosed
   * nested tags, a megabyte of text without markup), or extraction ran past its 10 s budget.
   * The message says which limit. Not retried: the same page fails the same way.
   */
  PAGE_TOO_COMPLEX: 'PAGE_TOO_COMPLEX',
  /**
   * The page has no readable text to summarize: empty, bytes not text in any charset tried, or
   * a PDF without a text layer (scanned pages, images only). The message says which.
   */
  NO_TEXT: 'NO_TEXT',
  /** The model provider kept throttling after every retry. */
  THROTTLED: 'THROTTLED',
  /** The model provider failed (5xx, model timeout, unusable response) after every retry. */
  MODEL_ERROR: 'MODEL_ERROR',
  /** The provider rejected the request as invalid (ValidationException). Not retried. */
  MODEL_VALIDATION: 'MODEL_VALIDATION',
  /** The model id is unknown in this region (ResourceNotFoundException). Not retried. */
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  /** Credentials are missing, invalid, or lack access to the model. Not retried. */
  ACCESS_DENIED: 'ACCESS_DENIED',
  /** The worker thread processing the page died (crash or out of memory). */
  WORKER_CRASHED: 'WORKER_CRASHED',
  /**
   * The run stopped before this page reached the model: an error that would repeat for every
   * page (access denied, unknown model, bad credentials or region) tripped the breaker.
   * `--resume` picks these pages up once the cause is fixed.
   */
  NOT_ATTEMPTED: 'NOT_ATTEMPTED',
  /**
   * `batch collect`: the job's output line for this page could not be read (not JSON, cut
   * short, no usable reply). The message names the output file and its line. Paid for but
   * unreadable: `--retry-failed-online` sends the page again.
   */
  BATCH_OUTPUT_INVALID: 'BATCH_OUTPUT_INVALID',
  /** The run was cancelled before the page finished. */
  ABORTED: 'ABORTED',
  /** A bug in summarize-urls; the message says what happened. */
  INTERNAL: 'INTERNAL',
} as const

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

/** A page failure as plain, cloneable data: this is what crosses worker boundaries and lands in records. */
export interface ErrorData {
  code: ErrorCode
  message: string
  /** How many attempts were made at the step that failed (1 when it was not retried). */
  attempts: number
  /** The next step, where there is one: given by the thrower, else from the table in src/error-hints.ts; absent otherwise. */
  hint?: string
}

export interface PageErrorOptions {
  cause?: unknown
  attempts?: number
  /** The fact beside the code that chooses the hint (the HTTP status, the content type). */
  context?: HintContext
  /** A next step the thrower knows better than the table (`--charset NAME`, OCR). */
  hint?: string
}

/** The one error class for per-page failures. */
export class PageError extends Error {
  override name = 'PageError'
  readonly code: ErrorCode
  attempts: number
  readonly hint: string | undefined

  constructor(code: ErrorCode, message: string, options: PageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.attempts = options.attempts ?? 1
    this.hint = options.hint ?? hintFor(code, options.context)
  }
}

/**
 * A usage or configuration problem: bad option, unreadable input file, no region. The CLI
 * prints its one-line message (no stack) and exits with 2.
 */
export class UsageError extends Error {
  override name = 'UsageError'
  readonly code = 'USAGE'

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * The records could not be written (disk full, closed pipe). The run stops: there is no
 * point working for output that cannot be kept. `errno` is the system code (`EPIPE`, `ENOSPC`).
 */
export class OutputError extends Error {
  override name = 'OutputError'
  readonly code = 'OUTPUT'
  readonly errno: string

  constructor(errno: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.errno = errno
  }
}

/** Turns anything thrown while processing a page into record data. */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof PageError) {
    return { code: error.code, message: error.message, attempts: error.attempts, ...(error.hint === undefined ? {} : { hint: error.hint }) }
  }
  if (isErrorData(error)) return error
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: ERROR_CODES.ABORTED, message: 'cancelled before the page finished', attempts: 1 }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { code: ERROR_CODES.INTERNAL, message, attempts: 1 }
}

const KNOWN_CODES = new Set<string>(Object.values(ERROR_CODES))

export function isErrorData(value: unknown): value is ErrorData {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v['code'] === 'string' && KNOWN_CODES.has(v['code']) && typeof v['message'] === 'string' && typeof v['attempts'] === 'number'
}
