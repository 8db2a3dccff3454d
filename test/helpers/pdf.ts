import { createCipheriv, createHash } from 'node:crypto'
import { crc32, deflateSync } from 'node:zlib'
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib'

/*
 * PDFs for tests, generated: pdf-lib 1.17.1 (a dev dependency) writes ordinary ones; the
 * encrypted ones are written by hand below, since pdf-lib cannot encrypt.
 */

export interface Line {
  text: string
  x: number
  y: number
  size?: number
}

export interface PdfSpec {
  /** Document info /Title. */
  title?: string
  /** Catalog /Lang. */
  lang?: string
  /** Each page's lines, drawn in this order (the content stream's order). */
  pages: Line[][]
}

/** Letter size, in points. */
export const PAGE = { width: 612, height: 792 } as const

export async function makePdf(spec: PdfSpec): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false })
  if (spec.title !== undefined) doc.setTitle(spec.title)
  if (spec.lang !== undefined) doc.setLanguage(spec.lang)
  const font = await doc.embedFont(StandardFonts.Helvetica)
  for (const lines of spec.pages) {
    const page = doc.addPage([PAGE.width, PAGE.height])
    for (const line of lines) drawLine(page, font, line)
  }
  return doc.save()
}

function drawLine(page: PDFPage, font: PDFFont, { text, x, y, size = 11 }: Line): void {
  page.drawText(text, { x, y, size, font })
}

/** Lines of a single-column page from the top, 14 pt apart, after an optional heading. */
export function column(sentences: string[], options: { heading?: string; x?: number; top?: number; width?: number } = {}): Line[] {
  const { x = 72, top = 720 } = options
  const lines: Line[] = []
  let y = top
  if (options.heading !== undefined) {
    lines.push({ text: options.heading, x, y, size: 22 })
    y -= 44
  }
  for (const text of wrap(sentences.join(' '), options.width ?? 90)) {
    lines.push({ text, x, y })
    y -= 14
  }
  return lines
}

/** Words into lines of at most `width` characters. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(line)
  return lines
}

/** A page that is one grey-scale image of "text" bars, as a scanner makes it: no text layer. */
export async function scannedPdf(pages = 1): Promise<Uint8Array> {
  const doc = await PDFDocument.create()
  const png = await doc.embedPng(textLikePng(400, 520))
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([PAGE.width, PAGE.height])
    page.drawImage(png, { x: 56, y: 96, width: 500, height: 650 })
  }
  return doc.save()
}

/** A grey-scale PNG with dark word-shaped bars on rows, like a scanned page of text. */
function textLikePng(width: number, height: number): Uint8Array {
  const rows: Buffer[] = []
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width + 1, 0xff)
    row[0] = 0 // filter: none
    const inLine = y % 18 >= 4 && y % 18 < 14
    if (inLine) for (let x = 0; x < width; x++) if ((x * 7 + Math.floor(y / 18) * 13) % 53 > 8) row[x + 1] = 0x20
    rows.push(row)
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), 8 + data.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 0 // grey-scale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))])
}

// ---- encryption: the PDF Standard Security Handler, revision 2 (40-bit RC4), ISO 32000-1 7.6.3 ----

const PASSWORD_PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex')

function rc4(key: Buffer, data: Buffer): Buffer {
  // OpenSSL 3 keeps RC4 in its legacy provider, which Node does not load: 10 lines by hand.
  try {
    const cipher = createCipheriv('rc4', key, null)
    return Buffer.concat([cipher.update(data), cipher.final()])
  } catch {
    const s = Array.from({ length: 256 }, (_, i) => i)
    for (let i = 0, j = 0; i < 256; i++) {
      j = (j + (s[i] as number) + (key[i % key.length] as number)) & 0xff
      ;[s[i], s[j]] = [s[j] as number, s[i] as number]
    }
    const out = Buffer.alloc(data.length)
    for (let k = 0, i = 0, j = 0; k < data.length; k++) {
      i = (i + 1) & 0xff
      j = (j + (s[i] as number)) & 0xff
      ;[s[i], s[j]] = [s[j] as number, s[i] as number]
      out[k] = (data[k] as number) ^ (s[((s[i] as number) + (s[j] as number)) & 0xff] as number)
    }
    return out
  }
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest()
const padded = (password: string): Buffer => Buffer.concat([Buffer.from(password, 'latin1'), PASSWORD_PAD]).subarray(0, 32)

/**
 * A one-page PDF encrypted with RC4: with a `userPassword` it cannot be opened without it;
 * with an empty one it opens (the owner password only restricts printing and copying).
 */
export function encryptedPdf(text: string, userPassword: string, ownerPassword = 'owner'): Uint8Array {
  const id = md5(Buffer.from(text))
  const permissions = -44 // no printing, no copying
  const o = rc4(md5(padded(ownerPassword)).subarray(0, 5), padded(userPassword))
  const p = Buffer.alloc(4)
  p.writeInt32LE(permissions)
  const key = md5(padded(userPassword), o, p, id).subarray(0, 5)
  const u = rc4(key, PASSWORD_PAD)
  const objectKey = (num: number): Buffer => md5(key, Buffer.from([num & 0xff, (num >> 8) & 0xff, (num >> 16) & 0xff, 0, 0])).subarray(0, 10)
  const stream = rc4(objectKey(4), Buffer.from(`BT /F1 12 Tf 72 700 Td (${text}) Tj ET`, 'latin1'))
  const hex = (b: Buffer): string => `<${b.toString('hex')}>`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    null, // the stream, written as bytes
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Filter /Standard /V 1 /R 2 /Length 40 /O ${hex(o)} /U ${hex(u)} /P ${permissions} >>`,
  ]
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  const offsets: number[] = []
  let length = chunks[0]!.length
  objects.forEach((body, i) => {
    offsets.push(length)
    const part =
      body === null
        ? Buffer.concat([Buffer.from(`${i + 1} 0 obj\n<< /Length ${stream.length} >>\nstream\n`, 'latin1'), stream, Buffer.from('\nendstream\nendobj\n', 'latin1')])
        : Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1')
    chunks.push(part)
    length += part.length
  })
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('')
  chunks.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Encrypt 6 0 R /ID [${hex(id)} ${hex(id)}] >>\nstartxref\n${length}\n%%EOF\n`, 'latin1'))
  return new Uint8Array(Buffer.concat(chunks))
}
