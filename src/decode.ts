import { isAscii, isUtf8 } from 'node:buffer'
import { TextDecoder } from 'node:util'
import { guessCharsets } from './decode/guess.js'

export { textDecoderEncoding } from './decode/guess.js'

/**
 * Where the charset a page was decoded with came from. `utf-8`: the bytes are (nearly all)
 * valid UTF-8 and nothing declared otherwise, or a legacy label was contradicted by them.
 * `guessed`: nothing declared it and the bytes are not UTF-8, so a detector chose it (or a
 * declared charset could not decode most of the page and the guess could).
 */
export type CharsetSource = 'forced' | 'bom' | 'header' | 'meta' | 'utf-8' | 'guessed'

/** What a record says of its page's charset. */
export interface CharsetInfo {
  /** The WHATWG name of the encoding used ('utf-8', 'shift_jis', 'windows-1252'). */
  name: string
  source: CharsetSource
  /**
   * Characters the bytes did not encode in `name` (stray or truncated bytes), left out of the
   * text rather than passed on as U+FFFD. Absent when there were none.
   */
  undecodable?: number
}

export interface DecodedPage {
  /** The text, without any U+FFFD that the decoding (rather than the page) put in. */
  text: string
  charset: CharsetInfo
}

export interface DecodeOptions {
  /** The `charset` parameter of the Content-Type header, as sent (may be junk or unknown). */
  headerCharset?: string | undefined
  contentType: 'text/html' | 'text/plain'
  /** `--charset`: a TextDecoder label that wins over everything the page says. */
  forcedCharset?: string | undefined
}

/**
 * The HTML spec's prescan looks at the first 1024 bytes, but browsers re-decode when they
 * meet a later meta, and real pages put 10 KB of scripts and comments before it. The scan
 * stops at the end of the head.
 */
const PRESCAN_BYTES = 64 * 1024

/**
 * Share of a page's non-ASCII characters that may fail to decode before the charset is
 * taken to be wrong rather than the page slightly damaged. A Windows-1252 or Shift_JIS page
 * read as UTF-8 fails on nearly every non-ASCII character; a UTF-8 page with a stray Latin-1
 * byte or a character cut at the end fails on one of hundreds.
 */
const MAX_UNDECODABLE_SHARE = 0.2

/**
 * Decodes page bytes the way a browser chooses the encoding: byte order mark, then the
 * Content-Type charset, then (HTML only) a `<meta>` charset near the start, then UTF-8 when
 * the bytes are UTF-8. Where a browser would then fall back to its locale's legacy
 * encoding, a detector guesses it from the bytes (see guessCharsets), because a list of
 * URLs has no locale. A label TextDecoder does not know falls through to the next source;
 * this never throws.
 *
 * The BOM comes before the header on purpose: the WHATWG Encoding standard lets a BOM
 * override the transport charset, because servers that label everything `iso-8859-1` are
 * far more common than files whose BOM lies.
 */
export function decodePage(bytes: Uint8Array, options: DecodeOptions): DecodedPage {
  const forced = decoderFor(options.forcedCharset)
  if (forced !== undefined) return decodeWith(bytes, forced, 'forced')
  const bom = decoderFromBom(bytes)
  if (bom !== undefined) return decodeWith(bytes, bom, 'bom')
  const header = decoderFor(options.headerCharset)
  const declared = header !== undefined ? { decoder: header, source: 'header' as const } : options.contentType === 'text/html' ? decoderFromMeta(bytes) : undefined
  // The commonest charset error on the web is UTF-8 labelled with a legacy charset (a CMS
  // template saying gb2312 or iso-8859-1). Legacy multi-byte text is practically never
  // valid UTF-8, so bytes that are valid UTF-8 and not plain ASCII are read as UTF-8.
  const readAsUtf8 = declared === undefined ? isUtf8(bytes) : declared.decoder.encoding !== 'utf-8' && !isAscii(bytes) && isUtf8(bytes)
  if (readAsUtf8) return decodeWith(bytes, new TextDecoder('utf-8'), 'utf-8')
  const first = declared === undefined ? decodeWith(bytes, new TextDecoder('utf-8'), 'utf-8') : decodeWith(bytes, declared.decoder, declared.source)
  if (mostlyDecodes(first)) return first
  // Not in the declared charset (or, with none declared, not UTF-8): the detector's first
  // guess that decodes the page whole, else its first guess, else the declared one.
  let fallback: DecodedPage | undefined
  for (const name of guessCharsets(bytes, options.contentType).slice(0, MAX_GUESSES)) {
    const guessed = decodeWith(bytes, new TextDecoder(name), 'guessed')
    if (guessed.charset.undecodable === undefined) return guessed
    fallback ??= guessed
  }
  if (declared !== undefined) return first
  // WHATWG's fallback for a document with no declared charset in most locales.
  return fallback ?? decodeWith(bytes, new TextDecoder('windows-1252'), 'guessed')
}

/** Guesses tried, most likely first, before settling for one that leaves characters out. */
const MAX_GUESSES = 4

function mostlyDecodes(page: DecodedPage): boolean {
  const undecodable = page.charset.undecodable ?? 0
  if (undecodable === 0) return true
  // Both counts are characters of the decoded text: every undecodable one was non-ASCII.
  let nonAscii = undecodable
  for (let i = 0; i < page.text.length; i++) if (page.text.charCodeAt(i) > 0x7f) nonAscii++
  return undecodable <= MAX_UNDECODABLE_SHARE * nonAscii
}

/**
 * The bytes in one charset. Malformed bytes would come out as U+FFFD; when there are any
 * (the fatal decoder refuses the bytes), every U+FFFD is taken out of the text and counted,
 * so no record ever shows a replacement character the page itself did not carry.
 */
function decodeWith(bytes: Uint8Array, decoder: TextDecoder, source: CharsetSource): DecodedPage {
  const raw = decoder.decode(bytes)
  const text = decoder.encoding === 'windows-1252' ? fixWindows1252(raw) : raw
  const charset: CharsetInfo = { name: decoder.encoding, source }
  if (!text.includes('\uFFFD') || decodesWhole(bytes, decoder.encoding)) return { text, charset }
  const cleaned = text.replace(REPLACEMENT, '')
  charset.undecodable = text.length - cleaned.length
  return { text: cleaned, charset }
}

function decodesWhole(bytes: Uint8Array, encoding: string): boolean {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
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

/** Share of a sample that may be control characters, or of the text that may be undecodable, before a page is not text. */
const MAX_CONTROL_SHARE = 0.02
const MAX_REPLACEMENT_SHARE = 0.1
const SAMPLE_CHARS = 64 * 1024
// C0 and C1 controls other than tab, line feed, form feed and carriage return.
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/g
const REPLACEMENT = /\uFFFD/g

/**
 * Why decoded page text is not text at all, or undefined when it is: binary data served as
 * text/html (controls and NULs), or bytes that are not in the charset they were decoded
 * with (many characters left out). Summarizing either would bill a model for noise.
 */
export function unreadableReason(decoded: DecodedPage): { binary: boolean; message: string; hint?: string } | undefined {
  const sample = decoded.text.slice(0, SAMPLE_CHARS)
  const controls = sample.match(CONTROL)?.length ?? 0
  if (sample.length > 0 && controls / sample.length > MAX_CONTROL_SHARE) {
    return { binary: true, message: `the body is binary data, not text (${percent(controls, sample.length)} control characters)` }
  }
  const undecodable = decoded.charset.undecodable ?? 0
  const whole = decoded.text.length + undecodable
  if (whole > 0 && undecodable / whole > MAX_REPLACEMENT_SHARE) {
    return {
      binary: false,
      message: `the body is not readable as ${decoded.charset.name} (${percent(undecodable, whole)} undecodable): the page's charset is wrong or missing`,
      hint: 'if you know the charset, pass --charset NAME (e.g. --charset shift_jis)',
    }
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

function decoderFromMeta(bytes: Uint8Array): { decoder: TextDecoder; source: 'meta' } | undefined {
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
    if (label.trim().toLowerCase() === 'x-user-defined') return { decoder: new TextDecoder('windows-1252'), source: 'meta' }
    const decoder = decoderFor(label)
    if (decoder === undefined) continue
    // Bytes the prescan could read as ASCII are not UTF-16, whatever the meta claims.
    if (decoder.encoding === 'utf-16le' || decoder.encoding === 'utf-16be') return { decoder: new TextDecoder('utf-8'), source: 'meta' }
    return { decoder, source: 'meta' }
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
