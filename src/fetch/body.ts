import { pipeline, type Readable, type Transform } from 'node:stream'
import { constants as zlib, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { Dispatcher } from 'undici'
import type { PageContentType } from '../content-type.js'
import { ERROR_CODES, PageError } from '../errors.js'
import { formatBytes, truncate } from './messages.js'

/*
 * A response body as the page fetcher reads it: decoded from its Content-Encoding, capped in
 * decompressed bytes, sniffed for HTML when it has no Content-Type, and drained (not read)
 * when it is not wanted, so the keep-alive socket can be reused.
 */

const DISCARD_LIMIT = 64 * 1024 // 64 KiB

/** Bytes looked at to decide whether a response without Content-Type is HTML. */
const SNIFF_BYTES = 512

/** More codings than this is an attack or a broken server (undici's fetch has the same limit). */
const MAX_CONTENT_CODINGS = 5

/** Reading the rest lets undici reuse a keep-alive socket; errors no longer matter to anyone. */
export function discard(body: Dispatcher.ResponseData['body']): void {
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
export function decode(body: Readable, contentEncoding: string | undefined): Readable {
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

/** The body's type from its first bytes (up to SNIFF_BYTES); throws UNSUPPORTED_CONTENT_TYPE when it is none the tool reads. */
export type Sniff = (head: Uint8Array) => PageContentType

export interface Sniffing {
  sniff: Sniff
  /** The cap for the sniffed type, checked from then on. */
  capOf: (type: PageContentType) => number
}

/**
 * Reads the whole stream into one fresh buffer, failing as soon as it passes `maxBytes` (or,
 * once `sniffing` has named the type, that type's cap). zlib streams respect backpressure,
 * so a compression bomb is only inflated as far as it is read.
 */
export async function readCapped(stream: Readable, maxBytes: number, typeOrSniffing: PageContentType | Sniffing): Promise<{ bytes: Uint8Array<ArrayBuffer>; contentType: PageContentType }> {
  const chunks: Uint8Array[] = []
  let total = 0
  let cap = maxBytes
  const sniffing = typeof typeOrSniffing === 'string' ? undefined : typeOrSniffing
  let contentType = typeof typeOrSniffing === 'string' ? typeOrSniffing : undefined
  const sniffed = (head: Uint8Array): void => {
    if (sniffing === undefined) return
    contentType = sniffing.sniff(head)
    cap = Math.min(cap, sniffing.capOf(contentType))
  }
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength
    if (contentType === undefined && total >= SNIFF_BYTES) sniffed(concat(chunks.concat(chunk), total))
    if (total > cap) {
      throw new PageError(ERROR_CODES.TOO_LARGE, `body larger than the ${formatBytes(cap)} limit`, {
        hint: contentType === 'application/pdf' ? 'raise --max-pdf-bytes to accept it' : 'raise --max-page-bytes to accept it',
      })
    }
    chunks.push(chunk)
  }
  const bytes = concat(chunks, total)
  if (contentType === undefined) sniffed(bytes)
  return { bytes, contentType: contentType as PageContentType }
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

const PDF_MAGIC = '%PDF-'

function isPdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PDF_MAGIC.length)).toString('latin1') === PDF_MAGIC
}

/** A response without Content-Type: a PDF by its magic number, else HTML by its signatures. */
export const sniffPdfOrHtml: Sniff = (head) => {
  if (isPdf(head)) return 'application/pdf'
  assertLooksLikeHtml(head)
  return 'text/html'
}

/** A download (`application/octet-stream` & co): read only when it is a PDF. */
export function sniffPdfOnly(declared: string): Sniff {
  return (head) => {
    if (isPdf(head)) return 'application/pdf'
    throw new PageError(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE, `unsupported content type ${truncate(declared)} (and the body is not a PDF)`, {
      hint: 'summarize-urls reads HTML, XHTML, plain text and PDF',
    })
  }
}

export function assertLooksLikeHtml(bytes: Uint8Array): void {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  const head = Buffer.from(bytes.buffer, bytes.byteOffset + bom, Math.min(bytes.byteLength - bom, SNIFF_BYTES))
    .toString('latin1')
    .replace(LEADING_WHITESPACE, '')
  if (!HTML_SIGNATURE.test(head)) {
    throw new PageError(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE, 'no Content-Type and the body does not look like HTML or PDF', {
      hint: 'summarize-urls reads HTML, XHTML, plain text and PDF',
    })
  }
}
