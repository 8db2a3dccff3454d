import { STATUS_CODES } from 'node:http'
import { pipeline, type Readable, type Transform } from 'node:stream'
import { constants as zlib, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { Agent, type Dispatcher } from 'undici'

import { ERROR_CODES, PageError } from './errors.js'
import { nonPublicAddressClass, refusedLiteral, type AddressPolicy } from './net/address-policy.js'
import { guardedLookup } from './net/guarded-lookup.js'
import { redactUrlsInText, withoutCredentials } from './redact.js'
import { urlKey } from './url.js'

/**
 * How one page is fetched. Every field but `denyPrivate` is required: defaults are applied where
 * options are resolved.
 */
export interface FetchSettings {
  /** Sent as `User-Agent`, e.g. `summarize-urls/0.1.0 (Node.js v20.20.2)`. */
  userAgent: string
  /** Time allowed to open the TCP/TLS connection, in ms. Usual value: 10_000. */
  connectTimeoutMs: number
  /** Time allowed from sending the request to receiving the response headers, in ms. Usual value: 15_000. */
  headersTimeoutMs: number
  /** Longest pause allowed between two body chunks, in ms. Usual value: 15_000. */
  bodyTimeoutMs: number
  /** The whole page, redirects included, must arrive within this many ms. Usual value: 30_000. */
  deadlineMs: number
  /** Redirects followed before giving up with TOO_MANY_REDIRECTS. Usual value: 5. */
  maxRedirects: number
  /** Largest body accepted, in bytes after decompression. Usual value: 5 * 1024 * 1024. */
  maxBytes: number
  /** Most sockets open to one origin at a time; usually the run's concurrency. */
  connections: number
  /**
   * Refuse targets on non-public addresses with BLOCKED_ADDRESS (`--deny-private`): `true` allows
   * only public unicast addresses (see `nonPublicAddressClass`); a function decides per address.
   * Checked for every hop, after DNS. Default `false`.
   */
  denyPrivate?: boolean | AddressPolicy
}

export interface FetchedPage {
  /** The URL as requested. */
  url: string
  /** Where the page was found after redirects (normalised by the URL parser). */
  finalUrl: string
  status: number
  /** `application/xhtml+xml` counts as `text/html`; a response without Content-Type that looks like HTML too. */
  contentType: 'text/html' | 'text/plain'
  /** The `charset` parameter of Content-Type as sent (unquoted, case kept); undefined when absent. */
  headerCharset: string | undefined
  /**
   * The decompressed body. Its `buffer` holds exactly these bytes and nothing else, so it can be
   * transferred to a worker thread without copying or exposing other memory.
   */
  body: Uint8Array<ArrayBuffer>
  redirects: number
}

const ACCEPT = 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1'
const ACCEPT_ENCODING = 'gzip, deflate, br'

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

const SUPPORTED_TYPES = new Map<string, FetchedPage['contentType']>([
  ['text/html', 'text/html'],
  ['application/xhtml+xml', 'text/html'],
  ['text/plain', 'text/plain'],
])

/**
 * What is left of a redirect or error body is read (so undici can reuse the socket) up to this
 * size; a larger remainder closes the socket instead.
 */
const DISCARD_LIMIT = 64 * 1024 // 64 KiB

/** Bytes looked at to decide whether a response without Content-Type is HTML. */
const SNIFF_BYTES = 512

/** More codings than this is an attack or a broken server (undici's fetch has the same limit). */
const MAX_CONTENT_CODINGS = 5

/** Node's and undici's codes for a bad call (or a fetch after close) rather than a failed connection: these are bugs. */
const PROGRAMMING_ERROR_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_URL',
])

/** gzip/deflate (`Z_DATA_ERROR`, …) and brotli (`ERR__ERROR_FORMAT_PADDING_2`, …) failures. */
const ZLIB_ERROR_CODE = /^(?:Z_|ERR__ERROR_)/

/**
 * Fetches pages over one keep-alive undici Agent. Redirects, decompression and the size cap are
 * handled here rather than by undici interceptors, so that each hop's target can be vetted, the
 * cap applies to decompressed bytes, and every failure maps to one stable error code.
 */
export class PageFetcher {
  readonly #settings: FetchSettings
  readonly #agent: Agent
  readonly #headers: Record<string, string>
  readonly #addressPolicy: AddressPolicy | undefined
  #closing: Promise<void> | undefined

  constructor(settings: FetchSettings) {
    this.#settings = settings
    const { denyPrivate = false } = settings
    this.#addressPolicy = denyPrivate === true ? nonPublicAddressClass : denyPrivate === false ? undefined : denyPrivate
    // undici's own timeouts tick about once a second; they catch stalls, while the per-page
    // deadline (a plain timer) is what holds the precise limit. Keep-alive is undici's default:
    // idle sockets stay open 4 s, or as long as the server's Keep-Alive hint says.
    this.#agent = new Agent({
      connections: settings.connections,
      connectTimeout: settings.connectTimeoutMs,
      headersTimeout: settings.headersTimeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
      // Names are checked by the lookup that feeds net.connect, once per new connection, so the
      // address checked is the address connected to. Node connects to an IP literal without a
      // lookup, so literals are checked before every request instead (#request). Once per
      // connection is enough: undici keeps a separate pool per origin (scheme, host, port), so
      // a kept-alive socket is only reused for the origin whose lookup admitted it, and the
      // policy never changes during the fetcher's life.
      connect: this.#addressPolicy === undefined ? undefined : { lookup: guardedLookup(this.#addressPolicy) },
    })
    this.#headers = {
      accept: ACCEPT,
      'accept-encoding': ACCEPT_ENCODING,
      'user-agent': settings.userAgent,
    }
  }

  /**
   * Fetches one page, following redirects. Rejects with a `PageError`: ABORTED when `signal`
   * aborts, FETCH_TIMEOUT, FETCH_FAILED, HTTP_STATUS, TOO_MANY_REDIRECTS, BAD_REDIRECT,
   * BLOCKED_ADDRESS, TOO_LARGE, UNSUPPORTED_CONTENT_TYPE or INVALID_URL.
   */
  async fetch(url: string, signal?: AbortSignal): Promise<FetchedPage> {
    const start = parseHttpUrl(url)
    if (signal?.aborted) throw abortedError(signal)

    // One controller per page carries both the caller's abort and the deadline, with a PageError
    // as its reason: undici rejects with the signal's reason, so the right error comes out of
    // whichever await was pending. AbortSignal.any() is avoided on purpose: on Node 20 a
    // composite of a long-lived signal (the run's) leaks (nodejs/node#55351, #64476).
    const controller = new AbortController()
    const onCallerAbort = (): void => controller.abort(abortedError(signal))
    signal?.addEventListener('abort', onCallerAbort, { once: true })
    const { deadlineMs } = this.#settings
    const deadline = setTimeout(() => {
      controller.abort(new PageError(ERROR_CODES.FETCH_TIMEOUT, `page not complete within ${formatDuration(deadlineMs)} deadline`))
    }, deadlineMs)

    try {
      return await this.#follow(url, start, controller.signal)
    } catch (error) {
      // An abort may surface as a side effect (premature close, a socket error) rather than as
      // the reason itself; the reason is what the caller must see.
      const reason: unknown = controller.signal.reason
      if (controller.signal.aborted && reason instanceof PageError) throw reason
      throw toFetchError(error, this.#settings)
    } finally {
      clearTimeout(deadline)
      signal?.removeEventListener('abort', onCallerAbort)
      // Redirect and error bodies are discarded in the background; this ends any still streaming,
      // so nothing of this page outlives the call. A finished request ignores it.
      controller.abort()
    }
  }

  /** Closes idle sockets and waits for requests in flight. Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= this.#agent.close()
    return this.#closing
  }

  async #follow(url: string, start: URL, signal: AbortSignal): Promise<FetchedPage> {
    const { maxRedirects } = this.#settings
    const visited = new Set([urlKey(start)])
    let current = start
    for (let redirects = 0; ; redirects++) {
      // Always GET: that is what 301/302/303 switch to, and 307/308 keep the method we used.
      const response = await this.#request(current, redirects, signal)
      if (!REDIRECT_STATUSES.has(response.statusCode)) {
        return await this.#readPage(url, current, response, redirects)
      }
      discard(response.body)
      const target = redirectTarget(current, response)
      if (redirects >= maxRedirects) {
        throw new PageError(ERROR_CODES.TOO_MANY_REDIRECTS, `more than ${maxRedirects} redirects (next was ${redactUrl(target)})`)
      }
      // Without cookies or other state a revisited URL redirects the same way again.
      const key = urlKey(target)
      if (visited.has(key)) {
        throw new PageError(ERROR_CODES.TOO_MANY_REDIRECTS, `redirect loop back to ${redactUrl(target)}`)
      }
      visited.add(key)
      current = target
    }
  }

  /** One hop's request; every hop, the first included, passes the address policy. */
  async #request(target: URL, redirects: number, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const policy = this.#addressPolicy
    try {
      const literal = policy === undefined ? undefined : refusedLiteral(target.hostname, policy)
      if (literal !== undefined) throw literal
      return await this.#agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: 'GET',
        headers: this.#headers,
        signal,
      })
    } catch (error) {
      // The record shows the URL as written; a refusal further down a redirect chain must say
      // how the fetch got there.
      if (redirects > 0 && error instanceof PageError && error.code === ERROR_CODES.BLOCKED_ADDRESS) {
        const hops = `${redirects} redirect${redirects === 1 ? '' : 's'}`
        throw new PageError(error.code, `${error.message} (after ${hops}, to ${redactUrl(target)})`, { cause: error })
      }
      throw error
    }
  }

  async #readPage(url: string, current: URL, response: Dispatcher.ResponseData, redirects: number): Promise<FetchedPage> {
    const { statusCode, headers, body } = response
    if (statusCode < 200 || statusCode > 299) {
      discard(body)
      const text = response.statusText || STATUS_CODES[statusCode] || ''
      throw new PageError(ERROR_CODES.HTTP_STATUS, `HTTP ${statusCode} ${text}`.trimEnd())
    }

    const declared = parseContentType(firstHeader(headers['content-type']))
    const contentType = declared === undefined ? 'text/html' : SUPPORTED_TYPES.get(declared.type)
    if (contentType === undefined) {
      discard(body)
      throw new PageError(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE, `unsupported content type ${declared?.type ?? ''}`)
    }

    const { maxBytes } = this.#settings
    const declaredLength = Number(firstHeader(headers['content-length']) ?? Number.NaN)
    if (declaredLength > maxBytes) {
      body.destroy()
      throw new PageError(ERROR_CODES.TOO_LARGE, `Content-Length ${declaredLength} is over the ${formatBytes(maxBytes)} limit`)
    }

    const decoded = decode(body, firstHeader(headers['content-encoding']))
    const bytes = await readCapped(decoded, maxBytes, declared === undefined)
    return {
      url,
      finalUrl: withoutCredentials(current),
      status: statusCode,
      contentType,
      headerCharset: declared?.charset,
      body: bytes,
      redirects,
    }
  }
}

function parseHttpUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new PageError(ERROR_CODES.INVALID_URL, `not an absolute URL: ${truncate(redactUrlsInText(url))}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PageError(ERROR_CODES.INVALID_URL, `only http: and https: URLs can be fetched, got ${truncate(parsed.protocol)}`)
  }
  return parsed
}

function redirectTarget(current: URL, response: Dispatcher.ResponseData): URL {
  const location = firstHeader(response.headers['location'])
  if (location === undefined || location.trim() === '') {
    throw new PageError(ERROR_CODES.BAD_REDIRECT, `HTTP ${response.statusCode} redirect without a Location header`)
  }
  let target: URL
  try {
    target = new URL(location, current)
  } catch {
    throw new PageError(ERROR_CODES.BAD_REDIRECT, `redirect to an unusable Location: ${truncate(redactUrlsInText(location))}`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new PageError(ERROR_CODES.BAD_REDIRECT, `redirect to unsupported scheme ${truncate(target.protocol)}`)
  }
  return target
}

function abortedError(signal: AbortSignal | undefined): PageError {
  return new PageError(ERROR_CODES.ABORTED, 'cancelled before the page finished', { cause: signal?.reason })
}

/** Reading the rest lets undici reuse a keep-alive socket; errors no longer matter to anyone. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.dump({ limit: DISCARD_LIMIT }).catch(() => {})
}

// Lenient flushing accepts a truncated stream the way browsers and curl do (as undici's fetch).
const DECODERS = new Map<string, () => Transform>([
  ['gzip', () => createGunzip({ flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH })],
  ['x-gzip', () => createGunzip({ flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH })],
  ['deflate', () => createInflate({ flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH })],
  ['br', () => createBrotliDecompress({ flush: zlib.BROTLI_OPERATION_FLUSH, finishFlush: zlib.BROTLI_OPERATION_FLUSH })],
])

/** The decoded byte stream for a Content-Encoding, decoding in reverse order of application. */
function decode(body: Readable, contentEncoding: string | undefined): Readable {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
  if (codings.length === 0) return body
  const unknown = codings.find((coding) => !DECODERS.has(coding))
  if (unknown !== undefined || codings.length > MAX_CONTENT_CODINGS) {
    body.destroy()
    const message = unknown === undefined ? `too many content codings (${codings.length})` : `unsupported Content-Encoding ${truncate(unknown)}`
    throw new PageError(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE, message)
  }
  const decoders = codings.reverse().map((coding) => (DECODERS.get(coding) as () => Transform)())
  // The pipeline destroys every stage when one fails or when the reader stops early, so a
  // TOO_LARGE thrown while reading also aborts the request.
  pipeline([body, ...decoders], () => {})
  return decoders.at(-1) ?? body
}

/**
 * Reads the whole stream into one fresh buffer, failing as soon as it passes `maxBytes`. zlib
 * streams respect backpressure, so a compression bomb is only inflated as far as it is read.
 */
async function readCapped(stream: Readable, maxBytes: number, sniff: boolean): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = []
  let total = 0
  let sniffed = !sniff
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength
    if (total > maxBytes) {
      throw new PageError(ERROR_CODES.TOO_LARGE, `body larger than the ${formatBytes(maxBytes)} limit`)
    }
    chunks.push(chunk)
    if (!sniffed && total >= SNIFF_BYTES) {
      assertLooksLikeHtml(concat(chunks, total))
      sniffed = true
    }
  }
  const body = concat(chunks, total)
  if (!sniffed) assertLooksLikeHtml(body)
  return body
}

/** Buffer.concat may hand back a view into Node's shared pool; a worker transfer needs its own buffer. */
function concat(chunks: readonly Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** The HTML signatures of https://mimesniff.spec.whatwg.org/#identifying-a-resource-with-an-unknown-mime-type */
const HTML_SIGNATURE = /^<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--)[\t\n\f\r >]/i
const LEADING_WHITESPACE = /^[\t\n\f\r ]*/

function assertLooksLikeHtml(bytes: Uint8Array): void {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  const head = Buffer.from(bytes.buffer, bytes.byteOffset + bom, Math.min(bytes.byteLength - bom, SNIFF_BYTES))
    .toString('latin1')
    .replace(LEADING_WHITESPACE, '')
  if (!HTML_SIGNATURE.test(head)) {
    throw new PageError(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE, 'no Content-Type and the body does not look like HTML')
  }
}

interface ContentType {
  /** Lower-case `type/subtype`. */
  type: string
  charset: string | undefined
}

function parseContentType(header: string | undefined): ContentType | undefined {
  if (header === undefined) return undefined
  const [essence = '', ...params] = header.split(';')
  const type = essence.trim().toLowerCase()
  if (type === '') return undefined
  let charset: string | undefined
  for (const param of params) {
    const eq = param.indexOf('=')
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').trim()
    charset = value === '' ? undefined : value
    break
  }
  return { type, charset }
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function toFetchError(error: unknown, settings: FetchSettings): unknown {
  if (error instanceof PageError) return error
  const code = errorCode(error)
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new PageError(ERROR_CODES.FETCH_TIMEOUT, `could not connect within ${formatDuration(settings.connectTimeoutMs)}`, { cause: error })
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new PageError(ERROR_CODES.FETCH_TIMEOUT, `no response headers within ${formatDuration(settings.headersTimeoutMs)}`, { cause: error })
    case 'UND_ERR_BODY_TIMEOUT':
      return new PageError(ERROR_CODES.FETCH_TIMEOUT, `no body data for ${formatDuration(settings.bodyTimeoutMs)}`, { cause: error })
  }
  // Anything without a code is not from the network: let it surface as the bug it is.
  if (code === undefined || PROGRAMMING_ERROR_CODES.has(code)) return error
  const message = errorMessage(error) ?? 'connection failed'
  const described = message.includes(code) ? message : `${message} (${code})`
  const prefix = ZLIB_ERROR_CODE.test(code) ? 'could not decompress the body: ' : ''
  return new PageError(ERROR_CODES.FETCH_FAILED, prefix + truncate(redactUrlsInText(described)), { cause: error })
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

/** Credentials in a URL (`user:pass@`) must never reach a message, log or record. */
function redactUrl(url: URL): string {
  if (url.username === '' && url.password === '') return truncate(url.href)
  const copy = new URL(url)
  copy.username = 'redacted'
  copy.password = ''
  return truncate(copy.href)
}


const MAX_MESSAGE_PART = 200

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_PART ? `${text.slice(0, MAX_MESSAGE_PART)}…` : text
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`
  return `${bytes} bytes`
}
