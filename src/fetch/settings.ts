import type { PageContentType } from '../content-type.js'
import type { AddressPolicy } from '../net/address-policy.js'

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
  /** Largest PDF accepted, in bytes after decompression (PDFs carry fonts and images). Usual value: 50 * 1024 * 1024. */
  maxPdfBytes: number
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
  /**
   * `application/xhtml+xml` counts as `text/html`; a response without Content-Type that looks
   * like HTML too. A body starting `%PDF-` without a Content-Type, or sent as
   * `application/octet-stream`, is `application/pdf`.
   */
  contentType: PageContentType
  /** The `charset` parameter of Content-Type as sent (unquoted, case kept); undefined when absent. */
  headerCharset: string | undefined
  /**
   * The decompressed body. Its `buffer` holds exactly these bytes and nothing else, so it can be
   * transferred to a worker thread without copying or exposing other memory.
   */
  body: Uint8Array<ArrayBuffer>
  redirects: number
  /** The response's `ETag` and `Last-Modified`, for revalidating it on a later run. */
  etag?: string | undefined
  lastModified?: string | undefined
  /** `Cache-Control: no-store`: the page must not be kept. */
  noStore?: boolean
}

/** A `304 Not Modified` answer to a conditional request: the page kept from before is current. */
export interface NotModified {
  status: 304
  url: string
  finalUrl: string
  redirects: number
}

/** Values for `If-None-Match` and `If-Modified-Since`, from an earlier response. */
export interface ConditionalHeaders {
  etag?: string | undefined
  lastModified?: string | undefined
}

/** The run's options a page fetcher is built from (a run's and a batch preparation's alike). */
export interface FetchOptions {
  userAgent: string
  fetchTimeoutMs: number
  maxRedirects: number
  maxPageBytes: number
  maxPdfBytes: number
  concurrency: number
  denyPrivate?: boolean | AddressPolicy | undefined
}

/**
 * The fetcher's settings for a run: `--fetch-timeout` bounds the whole page and caps each of
 * its phases, whose own limits are the usual ones (10 s to connect, 15 s to the headers and
 * between body chunks); one connection per page in flight.
 */
export function fetchSettingsOf(options: FetchOptions): FetchSettings {
  return {
    userAgent: options.userAgent,
    connectTimeoutMs: Math.min(10 * 1000, options.fetchTimeoutMs), // 10 s
    headersTimeoutMs: Math.min(15 * 1000, options.fetchTimeoutMs), // 15 s
    bodyTimeoutMs: Math.min(15 * 1000, options.fetchTimeoutMs), // 15 s between body chunks
    deadlineMs: options.fetchTimeoutMs,
    maxRedirects: options.maxRedirects,
    maxBytes: options.maxPageBytes,
    maxPdfBytes: options.maxPdfBytes,
    connections: options.concurrency,
    ...(options.denyPrivate === undefined ? {} : { denyPrivate: options.denyPrivate }),
  }
}
