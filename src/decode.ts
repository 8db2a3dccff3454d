import { isAscii, isUtf8 } from 'node:buffer'
import { TextDecoder } from 'node:util'

export interface DecodedPage {
  text: string
  /** The WHATWG name of the encoding actually used ('utf-8', 'shift_jis', 'windows-1252'). */
  charset: string
}

export interface DecodeOptions {
  /** The `charset` parameter of the Content-Type header, as sent (may be junk or unknown). */
  headerCharset?: string | undefined
  contentType: 'text/html' | 'text/plain'
}

/**
 * The HTML spec's prescan looks at the first 1024 bytes, but browsers re-decode when they
 * meet a later meta, and real pages put 10 KB of scripts and comments before it. The scan
 * stops at the end of the head.
 */
const PRESCAN_BYTES = 64 * 1024

/**
 * Decodes page bytes the way a browser chooses the encoding: byte order mark, then the
 * Content-Type charset, then (HTML only) a `<meta>` charset near the start, then UTF-8.
 * A label TextDecoder does not know falls through to the next source; this never throws.
 *
 * The BOM comes before the header on purpose: the WHATWG Encoding standard lets a BOM
 * override the transport charset, because servers that label everything `iso-8859-1` are
 * far more common than files whose BOM lies.
 */
export function decodePage(bytes: Uint8Array, options: DecodeOptions): DecodedPage {
  const bom = decoderFromBom(bytes)
  if (bom !== undefined) return { text: bom.decode(bytes), charset: bom.encoding }
  const declared = decoderFor(options.headerCharset) ?? (options.contentType === 'text/html' ? decoderFromMeta(bytes) : undefined)
  // The commonest charset error on the web is UTF-8 labelled with a legacy charset (a CMS
  // template saying gb2312 or iso-8859-1). Legacy multi-byte text is practically never
  // valid UTF-8, so bytes that are valid UTF-8 and not plain ASCII are read as UTF-8.
  const decoder = declared !== undefined && declared.encoding !== 'utf-8' && !isAscii(bytes) && isUtf8(bytes) ? new TextDecoder('utf-8') : (declared ?? new TextDecoder('utf-8'))
  const text = decoder.decode(bytes)
  return { text: decoder.encoding === 'windows-1252' ? fixWindows1252(text) : text, charset: decoder.encoding }
}

/**
 * Node 20's ICU decodes `windows-1252` (and the `iso-8859-1`/`latin1` labels that WHATWG maps
 * to it) as ISO-8859-1: bytes 0x80–0x9F come out as C1 control characters instead of curly
 * quotes, dashes and € (nodejs/node#56542). A page with many of them would even look binary.
 * The 27 code points are mapped as the Encoding standard's windows-1252 index does.
 */
const WINDOWS_1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ'

function fixWindows1252(text: string): string {
  return /[\u0080-\u009F]/.test(text) ? text.replace(/[\u0080-\u009F]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80] ?? c) : text
}

/** Share of a sample that may be control characters or U+FFFD before a page is not text. */
const MAX_CONTROL_SHARE = 0.02
const MAX_REPLACEMENT_SHARE = 0.1
const SAMPLE_CHARS = 64 * 1024
// C0 and C1 controls other than tab, line feed, form feed and carriage return.
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/g
const REPLACEMENT = /\uFFFD/g

/**
 * Why decoded page text is not text at all, or undefined when it is: binary data served as
 * text/html (controls and NULs), or bytes that are not in the charset they were decoded
 * with (mostly U+FFFD). Summarizing either would bill a model for noise.
 */
export function unreadableReason(decoded: DecodedPage): { binary: boolean; message: string } | undefined {
  const sample = decoded.text.slice(0, SAMPLE_CHARS)
  if (sample.length === 0) return undefined
  const controls = sample.match(CONTROL)?.length ?? 0
  if (controls / sample.length > MAX_CONTROL_SHARE) {
    return { binary: true, message: `the body is binary data, not text (${percent(controls, sample.length)} control characters)` }
  }
  const replaced = sample.match(REPLACEMENT)?.length ?? 0
  if (replaced / sample.length > MAX_REPLACEMENT_SHARE) {
    return { binary: false, message: `the body is not readable as ${decoded.charset} (${percent(replaced, sample.length)} undecodable): the page's charset is wrong or missing` }
  }
  return undefined
}

function percent(part: number, whole: number): string {
  return `${Math.round((100 * part) / whole)}%`
}

function decoderFor(label: string | undefined): TextDecoder | undefined {
  if (label === undefined) return undefined
  const cleaned = label.trim().replace(/^["']|["']$/g, '')
  if (cleaned === '') return undefined
  try {
    // Non-fatal: malformed bytes become U+FFFD rather than failing the page.
    return new TextDecoder(cleaned)
  } catch {
    // RangeError for unknown labels and for the 'replacement' encoding (iso-2022-kr & co).
    return undefined
  }
}

function decoderFromBom(bytes: Uint8Array): TextDecoder | undefined {
  const [b0, b1, b2] = bytes
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return new TextDecoder('utf-8')
  if (b0 === 0xfe && b1 === 0xff) return new TextDecoder('utf-16be')
  if (b0 === 0xff && b1 === 0xfe) return new TextDecoder('utf-16le')
  return undefined
}

const META_TAG = /<meta[\s/][^>]*>/gi
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g
const CHARSET_IN_CONTENT = /charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))/i

function decoderFromMeta(bytes: Uint8Array): TextDecoder | undefined {
  // A meta can only be found in an ASCII-compatible encoding, where the tag is plain
  // ASCII bytes; latin1 maps each byte to one character, so no multi-byte sequence before
  // the tag can hide it.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PRESCAN_BYTES))
    .toString('latin1')
    .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
  // A <meta> in the body is content (an article about HTML), not the page's declaration.
  const end = head.search(/<\/head[\s>]|<body[\s>]/i)
  const prefix = end === -1 ? head : head.slice(0, end)
  for (const [tag] of prefix.matchAll(META_TAG)) {
    const label = charsetOfMeta(tag)
    if (label === undefined) continue
    // The HTML spec ("prescan a byte stream") reads x-user-defined as windows-1252 here,
    // and Node's TextDecoder does not know it anyway.
    if (label.trim().toLowerCase() === 'x-user-defined') return new TextDecoder('windows-1252')
    const decoder = decoderFor(label)
    if (decoder === undefined) continue
    // Bytes the prescan could read as ASCII are not UTF-16, whatever the meta claims.
    if (decoder.encoding === 'utf-16le' || decoder.encoding === 'utf-16be') return new TextDecoder('utf-8')
    return decoder
  }
  return undefined
}

function charsetOfMeta(tag: string): string | undefined {
  const attributes = new Map<string, string>()
  for (const match of tag.slice('<meta'.length).matchAll(ATTRIBUTE)) {
    const name = match[1]?.toLowerCase()
    if (name === undefined || attributes.has(name)) continue
    attributes.set(name, match[2] ?? match[3] ?? match[4] ?? '')
  }
  const charset = attributes.get('charset')
  if (charset !== undefined) return charset
  if (attributes.get('http-equiv')?.trim().toLowerCase() !== 'content-type') return undefined
  const content = CHARSET_IN_CONTENT.exec(attributes.get('content') ?? '')
  return content?.[1] ?? content?.[2] ?? content?.[3]
}
