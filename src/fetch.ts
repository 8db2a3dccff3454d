import { STATUS_CODES } from 'node:http'
import { Agent, type Dispatcher } from 'undici'

import { ERROR_CODES, PageError } from './errors.js'
import { nonPublicAddressClass, refusedLiteral, type AddressPolicy } from './net/address-policy.js'
import { guardedLookup } from './net/guarded-lookup.js'
import { withoutCredentials } from './redact.js'
import { urlKey } from './url.js'
import type { PageContentType } from './content-type.js'
import { decode, discard, readCapped, sniffPdfOrHtml, sniffPdfOnly, type Sniff } from './fetch/body.js'
import { toFetchError } from './fetch/errors.js'
import { formatBytes, formatDuration, redactUrl } from './fetch/messages.js'
import { firstHeader, parseContentType, parseHttpUrl, redirectTarget } from './fetch/http.js'
import type { ConditionalHeaders, FetchedPage, FetchSettings, NotModified } from './fetch/settings.js'

export type { ConditionalHeaders, FetchedPage, FetchSettings, NotModified } from './fetch/settings.js'

const ACCEPT = 'text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8,*/*;q=0.1'
const ACCEPT_ENCODING = 'gzip, deflate, br'

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

const SUPPORTED_TYPES = new Map<string, FetchedPage['contentType']>([
  ['text/html', 'text/html'],
  ['application/xhtml+xml', 'text/html'],
  ['text/plain', 'text/plain'],
  ['application/pdf', 'application/pdf'],
  ['application/x-pdf', 'application/pdf'],
])

/**
 * Types servers send for "a file to download" whatever it is: many serve PDFs that way, so
 * the body is read when it starts with `%PDF-` (refused otherwise).
 */
const DOWNLOAD_TYPES = new Set(['application/octet-stream', 'binary/octet-stream', 'application/download', 'application/x-download', 'application/force-download'])

/**
 * What is left of a redirect or error body is read (so undici can reuse the socket) up to this
 * size; a larger remainder closes the socket instead.
 */
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
   * or `stop` aborts (`stop`: a graceful stop, for the fetch alone; its reason is the error), FETCH_TIMEOUT, FETCH_FAILED, HTTP_STATUS, TOO_MANY_REDIRECTS, BAD_REDIRECT,
   * BLOCKED_ADDRESS, TOO_LARGE, UNSUPPORTED_CONTENT_TYPE or INVALID_URL.
   */
  fetch(url: string, signal?: AbortSignal, stop?: AbortSignal): Promise<FetchedPage> {
    return this.#fetch(url, signal, stop, undefined) as Promise<FetchedPage>
  }

  /**
   * `fetch`, sending `If-None-Match` / `If-Modified-Since` from `validators` (on every hop:
   * the server that has the page answers): a `304` comes back as `NotModified`.
   */
  fetchIfChanged(url: string, validators: ConditionalHeaders, signal?: AbortSignal, stop?: AbortSignal): Promise<FetchedPage | NotModified> {
    const headers: Record<string, string> = {}
    if (validators.etag !== undefined) headers['if-none-match'] = validators.etag
    if (validators.lastModified !== undefined) headers['if-modified-since'] = validators.lastModified
    return this.#fetch(url, signal, stop, Object.keys(headers).length === 0 ? undefined : headers)
  }

  async #fetch(url: string, signal: AbortSignal | undefined, stop: AbortSignal | undefined, conditional: Record<string, string> | undefined): Promise<FetchedPage | NotModified> {
    const start = parseHttpUrl(url)
    if (signal?.aborted) throw abortedError(signal)
    if (stop?.aborted) throw stoppedError(stop)

    // One controller per page carries both the caller's abort and the deadline, with a PageError
    // as its reason: undici rejects with the signal's reason, so the right error comes out of
    // whichever await was pending. AbortSignal.any() is avoided on purpose: on Node 20 a
    // composite of a long-lived signal (the run's) leaks (nodejs/node#55351, #64476).
    const controller = new AbortController()
    const onCallerAbort = (): void => controller.abort(abortedError(signal))
    signal?.addEventListener('abort', onCallerAbort, { once: true })
    const onStop = (): void => controller.abort(stoppedError(stop))
    stop?.addEventListener('abort', onStop, { once: true })
    const { deadlineMs } = this.#settings
    const deadline = setTimeout(() => {
      controller.abort(new PageError(ERROR_CODES.FETCH_TIMEOUT, `page not complete within ${formatDuration(deadlineMs)} deadline`, { context: { timeout: 'deadline' } }))
    }, deadlineMs)

    // The hop in flight: a malformed response is named by the host that sent it.
    const at = { url: start }
    try {
      return await this.#follow(url, start, controller.signal, at, conditional)
    } catch (error) {
      // An abort may surface as a side effect (premature close, a socket error) rather than as
      // the reason itself; the reason is what the caller must see.
      const reason: unknown = controller.signal.reason
      if (controller.signal.aborted && reason instanceof PageError) throw reason
      throw toFetchError(error, this.#settings, at.url.host)
    } finally {
      clearTimeout(deadline)
      signal?.removeEventListener('abort', onCallerAbort)
      stop?.removeEventListener('abort', onStop)
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

  async #follow(url: string, start: URL, signal: AbortSignal, at: { url: URL }, conditional: Record<string, string> | undefined): Promise<FetchedPage | NotModified> {
    const { maxRedirects } = this.#settings
    const visited = new Set([urlKey(start)])
    let current = start
    for (let redirects = 0; ; redirects++) {
      // Always GET: that is what 301/302/303 switch to, and 307/308 keep the method we used.
      const response = await this.#request(current, redirects, signal, conditional)
      if (conditional !== undefined && response.statusCode === 304) {
        discard(response.body)
        return { status: 304, url, finalUrl: withoutCredentials(current), redirects }
      }
      if (!REDIRECT_STATUSES.has(response.statusCode)) {
        return await this.#readPage(url, current, response, redirects)
      }
      discard(response.body)
      const target = redirectTarget(current, response)
      if (redirects >= maxRedirects) {
        throw new PageError(ERROR_CODES.TOO_MANY_REDIRECTS, `more than ${maxRedirects} redirects (next was ${redactUrl(target)})`, { context: { redirects: 'limit' } })
      }
      // Without cookies or other state a revisited URL redirects the same way again.
      const key = urlKey(target)
      if (visited.has(key)) {
        throw new PageError(ERROR_CODES.TOO_MANY_REDIRECTS, `redirect loop back to ${redactUrl(target)}`, { context: { redirects: 'loop' } })
      }
      visited.add(key)
      current = target
      at.url = target
    }
  }

  /** One hop's request; every hop, the first included, passes the address policy. */
  async #request(target: URL, redirects: number, signal: AbortSignal, conditional: Record<string, string> | undefined): Promise<Dispatcher.ResponseData> {
    const policy = this.#addressPolicy
    try {
      const literal = policy === undefined ? undefined : refusedLiteral(target.hostname, policy)
      if (literal !== undefined) throw literal
      return await this.#agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: 'GET',
        headers: conditional === undefined ? this.#headers : { ...this.#headers, ...conditional },
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
      throw new PageError(ERROR_CODES.HTTP_STATUS, `HTTP ${statusCode} ${text}`.trimEnd(), { context: { httpStatus: statusCode } })
    }

    const declared = parseContentType(firstHeader(headers['content-type']))
    const { maxBytes, maxPdfBytes } = this.#settings
    // Which type the body is, and its cap: known from the header, or once the first bytes are in.
    let contentType: PageContentType | undefined
    let sniff: Sniff | undefined
    if (declared === undefined) sniff = sniffPdfOrHtml
    else if (DOWNLOAD_TYPES.has(declared.type)) sniff = sniffPdfOnly(declared.type)
    else contentType = SUPPORTED_TYPES.get(declared.type)
    if (contentType === undefined && sniff === undefined) {
      discard(body)
      throw new PageError(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE, `unsupported content type ${declared?.type ?? ''}`, { context: { contentType: declared?.type ?? '' } })
    }
    const capOf = (type: PageContentType): number => (type === 'application/pdf' ? maxPdfBytes : maxBytes)
    // Until the body is sniffed, the larger cap holds; the sniffed type's cap is checked once it is.
    const cap = contentType === undefined ? (declared === undefined ? Math.max(maxBytes, maxPdfBytes) : maxPdfBytes) : capOf(contentType)

    const declaredLength = Number(firstHeader(headers['content-length']) ?? Number.NaN)
    if (declaredLength > cap) {
      body.destroy()
      throw new PageError(ERROR_CODES.TOO_LARGE, `Content-Length ${declaredLength} is over the ${formatBytes(cap)} limit`, { hint: sizeHint(contentType) })
    }

    const decoded = decode(body, firstHeader(headers['content-encoding']))
    const read = await readCapped(decoded, cap, sniff === undefined ? (contentType as PageContentType) : { sniff, capOf })
    return {
      url,
      finalUrl: withoutCredentials(current),
      status: statusCode,
      contentType: read.contentType,
      headerCharset: declared?.charset,
      body: read.bytes,
      redirects,
      etag: firstHeader(headers['etag']),
      lastModified: firstHeader(headers['last-modified']),
      noStore: /(?:^|,)\s*no-store\s*(?:,|$)/i.test(firstHeader(headers['cache-control']) ?? ''),
    }
  }
}

function sizeHint(contentType: PageContentType | undefined): string {
  return contentType === 'application/pdf' ? 'raise --max-pdf-bytes to accept it' : 'raise --max-page-bytes (or --max-pdf-bytes for a PDF) to accept it'
}

/** `stop`'s reason when it is a PageError (it says why), else ABORTED. */
function stoppedError(stop: AbortSignal | undefined): PageError {
  return stop?.reason instanceof PageError ? stop.reason : abortedError(stop)
}

function abortedError(signal: AbortSignal | undefined): PageError {
  return new PageError(ERROR_CODES.ABORTED, 'cancelled before the page finished', { cause: signal?.reason })
}
