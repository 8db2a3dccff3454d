import type { ServerResponse } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PageRecord } from '../src/record.js'
import { column, encryptedPdf, makePdf, scannedPdf, wrap, type Line } from './helpers/pdf.js'
import { runLines } from './helpers/run.js'
import { startServer, type TestServer } from './helpers/servers.js'

// Twenty-odd kinds of PDF, each served by a local server and summarised by the real pipeline
// on the pool strategy: each must come out as the record a user expects.

const HARBOUR = [
  'The harbour of Valmont handled more grain this year than in any year since records began.',
  'Port officials credit the new deep-water berth, which lets the largest bulk carriers dock at low tide.',
  'Grain exports through the harbour rose by a fifth, most of it wheat bound for North Africa.',
  'Local farmers say the harbour now pays them more for their grain than the inland rail depots do.',
  'The harbour authority plans a second berth for grain ships within three years.',
]
const LEFT = ['Alpha one starts the left column of the paper.', 'Alpha two continues the left column.', 'Alpha three ends the left column at the bottom.']
const RIGHT = ['Bravo one starts the right column of the paper.', 'Bravo two continues the right column.', 'Bravo three ends the right column at the bottom.']
const FRENCH = [
  'Le conseil municipal a approuvé la rénovation du théâtre de la ville.',
  'Les travaux commenceront en été et dureront près de deux ans.',
  'Le maire a déclaré que le théâtre rouvrira ses portes avant la fin de la décennie.',
]
const GERMAN = ['Die Stadtbibliothek bleibt im Sommer wegen Renovierungsarbeiten geschlossen.', 'Die Bücher werden in dieser Zeit in einer Schule ausgeliehen.']

/** Two columns drawn row by row (left, right, left, right): the content stream is not reading order. */
function interleavedColumns(top = 700): Line[] {
  return LEFT.flatMap((left, i) => [
    { text: left, x: 50, y: top - i * 14 },
    { text: RIGHT[i] as string, x: 350, y: top - i * 14 },
  ])
}

/** Each word a text run of its own, positioned by hand, as many producers write them. */
function wordByWord(sentence: string, y: number): Line[] {
  let x = 72
  return sentence.split(' ').map((word) => {
    const line = { text: word, x, y }
    x += (word.length + 1) * 5.6 // about Helvetica 11 pt: the gaps stay word gaps
    return line
  })
}

const MAX_PAGE_BYTES = 64 * 1024
const MAX_PDF_BYTES = 1024 * 1024

type Served = { body: Uint8Array | string; type?: string; gzip?: boolean }
const pdfs = new Map<string, Served>()

beforeAll(async () => {
  const pdf = (body: Uint8Array, type = 'application/pdf'): Served => ({ body, type })
  pdfs.set('/info-title', pdf(await makePdf({ title: 'Grain at Valmont harbour', pages: [column(HARBOUR)] })))
  pdfs.set('/heading-title', pdf(await makePdf({ pages: [column(HARBOUR, { heading: 'A Record Year for the Harbour' })] })))
  pdfs.set('/junk-info-title', pdf(await makePdf({ title: 'Microsoft Word - draft3.docx', pages: [column(HARBOUR, { heading: 'Harbour Report 2026' })] })))
  pdfs.set('/two-columns', pdf(await makePdf({ pages: [interleavedColumns()] })))
  pdfs.set('/heading-over-columns', pdf(await makePdf({ pages: [[{ text: 'Columns Under a Heading', x: 150, y: 740, size: 22 }, ...interleavedColumns()]] })))
  pdfs.set('/bottom-up', pdf(await makePdf({ pages: [column(HARBOUR).reverse()] })))
  pdfs.set('/ten-pages', pdf(await makePdf({ pages: Array.from({ length: 10 }, (_, i) => column([`Page ${i + 1} of the harbour report.`, ...HARBOUR])) })))
  pdfs.set('/german-declared', pdf(await makePdf({ lang: 'de-DE', pages: [column(GERMAN)] })))
  pdfs.set('/french-undeclared', pdf(await makePdf({ pages: [column(FRENCH)] })))
  pdfs.set('/hyphenated', pdf(await makePdf({ pages: [[{ text: 'The harbour collects infor-', x: 72, y: 700 }, { text: 'mation on every grain ship that docks there.', x: 72, y: 686 }]] })))
  pdfs.set('/word-by-word', pdf(await makePdf({ pages: [[...wordByWord(HARBOUR[0] as string, 700), ...wordByWord(HARBOUR[1] as string, 686)]] })))
  pdfs.set('/scanned', pdf(await scannedPdf(2)))
  pdfs.set('/blank', pdf(await makePdf({ pages: [[], []] })))
  pdfs.set('/encrypted', pdf(encryptedPdf('The harbour accounts are confidential this year.', 'secret')))
  pdfs.set('/owner-password-only', pdf(encryptedPdf('The harbour accounts are published every spring for all to read.', '')))
  pdfs.set('/not-a-pdf', { body: 'This is an error page from a proxy, served as a PDF.', type: 'application/pdf' })
  pdfs.set('/octet-stream', pdf(await makePdf({ pages: [column(HARBOUR)] }), 'application/octet-stream'))
  pdfs.set('/x-pdf', pdf(await makePdf({ pages: [column(HARBOUR)] }), 'application/x-pdf'))
  pdfs.set('/no-content-type', { body: await makePdf({ pages: [column(HARBOUR)] }) })
  pdfs.set('/gzip', { body: await makePdf({ pages: [column(HARBOUR)] }), type: 'application/pdf', gzip: true })
  // Larger than the HTML cap, inside the PDF cap; and a long one that the input budget cuts.
  pdfs.set('/long', pdf(await makePdf({ pages: Array.from({ length: 120 }, (_, i) => column([`Chapter ${i + 1}.`, ...HARBOUR, ...HARBOUR])) })))
  pdfs.set('/too-large', pdf(new Uint8Array(MAX_PDF_BYTES + 1).fill(0x20).map((b, i) => (i < 8 ? '%PDF-1.7'.charCodeAt(i) : b))))
}, 60_000)

let server: TestServer
let records: PageRecord[]

beforeAll(async () => {
  server = await startServer((req, res) => serve(new URL(req.url ?? '/', 'http://x').pathname, res))
  ;({ records } = await runLines(
    [...pdfs.keys()].map((path) => server.url + path),
    { strategy: 'pool', threads: 2, concurrency: 8, maxPageBytes: MAX_PAGE_BYTES, maxPdfBytes: MAX_PDF_BYTES },
  ))
}, 120_000)

afterAll(() => server?.close())

function serve(path: string, res: ServerResponse): void {
  const served = pdfs.get(path)
  if (served === undefined) return void res.writeHead(404).end()
  const headers: Record<string, string> = {}
  if (served.type !== undefined) headers['content-type'] = served.type
  let body = typeof served.body === 'string' ? Buffer.from(served.body) : Buffer.from(served.body)
  if (served.gzip === true) {
    headers['content-encoding'] = 'gzip'
    body = gzipSync(body)
  }
  res.writeHead(200, headers).end(body)
}

function recordAt(path: string): PageRecord {
  const record = records.find((r) => r.url === server.url + path)
  if (record === undefined) throw new Error(`no record for ${path}`)
  return record
}

function okText(path: string): string {
  const record = recordAt(path)
  expect(record.status, `${path}: ${JSON.stringify(record.error)}`).toBe('ok')
  expect(record.charset).toBeNull()
  return `${record.title ?? ''} ${record.summary ?? ''}`
}

describe('PDFs of different kinds give the right record', () => {
  it('takes the title from the document info', () => {
    expect(okText('/info-title')).toMatch(/harbour/)
    expect(recordAt('/info-title')).toMatchObject({ title: 'Grain at Valmont harbour', lang: 'en', pages: { total: 1, read: 1 } })
  })

  it('takes the title from the first heading when the info has none', () => {
    expect(recordAt('/heading-title')).toMatchObject({ status: 'ok', title: 'A Record Year for the Harbour' })
  })

  it("prefers the first heading to an info title that is a producer's file name", () => {
    expect(recordAt('/junk-info-title')).toMatchObject({ status: 'ok', title: 'Harbour Report 2026' })
  })

  it('reads two columns drawn row by row in reading order: the left column, then the right', async () => {
    const text = await pdfText('/two-columns')
    expect(text).toBe([...LEFT, ...RIGHT].join(' '))
    expect(recordAt('/two-columns').status).toBe('ok')
  })

  it('reads a heading over two columns first, then each column', async () => {
    expect(await pdfText('/heading-over-columns')).toBe(['Columns Under a Heading', ...LEFT, ...RIGHT].join(' '))
    expect(recordAt('/heading-over-columns').title).toBe('Columns Under a Heading')
  })

  it('reads lines drawn bottom-up from the top of the page', async () => {
    expect(await pdfText('/bottom-up')).toBe(wrap(HARBOUR.join(' '), 90).join(' '))
  })

  it('reads every page of a short document and says how many', () => {
    expect(recordAt('/ten-pages')).toMatchObject({ status: 'ok', pages: { total: 10, read: 10 } })
  })

  it("keeps the language the PDF declares, and detects one it does not", () => {
    expect(recordAt('/german-declared')).toMatchObject({ status: 'ok', lang: 'de-DE' })
    expect(recordAt('/french-undeclared')).toMatchObject({ status: 'ok', lang: 'fr' })
    expect(okText('/french-undeclared')).toMatch(/théâtre/)
  })

  it('joins a word hyphenated across a line break', () => {
    expect(okText('/hyphenated')).toContain('collects information on every grain ship')
  })

  it('puts spaces between words drawn as runs of their own', () => {
    expect(okText('/word-by-word')).toContain('The harbour of Valmont handled more grain')
  })

  it('calls a scanned PDF NO_TEXT: it has no text layer and needs OCR', () => {
    const record = recordAt('/scanned')
    expect(record.error).toMatchObject({ code: 'NO_TEXT', message: expect.stringContaining('no text layer'), hint: expect.stringContaining('OCR') })
    expect(record.pages).toEqual({ total: 2, read: 2 })
  })

  it('calls a PDF of blank pages NO_TEXT', () => {
    expect(recordAt('/blank').error?.code).toBe('NO_TEXT')
  })

  it('calls a PDF that needs a password PDF_ENCRYPTED, with a next step', () => {
    expect(recordAt('/encrypted').error).toMatchObject({ code: 'PDF_ENCRYPTED', message: 'the PDF is encrypted and needs a password to open', hint: expect.stringMatching(/without the password/) })
  })

  it('reads a PDF encrypted with an owner password only (it opens without one)', () => {
    expect(okText('/owner-password-only')).toContain('published every spring')
  })

  it('calls a body served as a PDF that is none PDF_INVALID', () => {
    expect(recordAt('/not-a-pdf').error?.code).toBe('PDF_INVALID')
  })

  it('recognises a PDF sent as a download, as application/x-pdf, with no Content-Type, or gzipped', () => {
    for (const path of ['/octet-stream', '/x-pdf', '/no-content-type', '/gzip']) expect(okText(path), path).toMatch(/harbour/)
  })

  it('reads a PDF larger than the HTML cap under --max-pdf-bytes, as far as the input budget needs', () => {
    expect((pdfs.get('/long')?.body as Uint8Array).byteLength).toBeGreaterThan(MAX_PAGE_BYTES)
    const record = recordAt('/long')
    expect(record.status).toBe('ok')
    expect(record.pages?.total).toBe(120)
    expect(record.pages?.read).toBeLessThan(120)
  })

  it('refuses a PDF over --max-pdf-bytes as TOO_LARGE, naming the option to raise', () => {
    expect(recordAt('/too-large').error).toMatchObject({ code: 'TOO_LARGE', hint: expect.stringContaining('--max-pdf-bytes') })
  })
})

/** The whole text the extraction gives a served PDF (the record holds only a summary). */
async function pdfText(path: string): Promise<string> {
  const { extractPdf } = await import('../src/extract/pdf.js')
  return (await extractPdf(pdfs.get(path)?.body as Uint8Array, { maxChars: 1_000_000 })).text
}
