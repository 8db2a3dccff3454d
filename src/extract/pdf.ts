import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { ERROR_CODES, PageError } from '../errors.js'
import { detectLanguage, normalizeLangTag } from '../language.js'
import { pageTooComplex } from './budget.js'
import { readingOrder, segmentsOf, segmentText, type Segment, type TextRun } from './pdf-layout.js'
import { collapseWhitespace } from './visible-text.js'

/** How much of a PDF was read: a long one is cut (PDF_LIMITS), and the record says where. */
export interface PdfPages {
  /** Pages in the document. */
  total: number
  /** Pages whose text was read, from the first. */
  read: number
}

export interface ExtractedPdf {
  title: string
  lang: string
  langDeclared: boolean
  text: string
  pages: PdfPages
}

/**
 * What one PDF may cost. Past a limit the text read so far is the page's text (a 2,000-page
 * report is summarised from its first pages, like a long HTML page cut to the input
 * budget); only a PDF with no text by then fails.
 */
export const PDF_LIMITS = {
  /** Pages read at most. */
  maxPages: 500,
  /**
   * Wall time for reading pages, larger than HTML's 10 s: PDF.js parses about 50–200
   * text pages a second on one core here (`bench --workload pdf`).
   */
  budgetMs: 30 * 1000, // 30 s
} as const

/** Title from the document info is producer junk, not a title: "Microsoft Word - draft3.docx", "untitled". */
const JUNK_TITLE = /^(?:untitled\d*|document\d*|microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pptx?|pdf|tex|dvi|indd|rtf|odt))$/i
/** A line is the document's heading when its font is this much larger than the page's body text. */
const HEADING_SIZE_RATIO = 1.2
const MIN_HEADING_CHARS = 3
/** Share of the page, from its top, where the first page's heading is looked for. */
const HEADING_ZONE = 0.4
const MAX_HEADING_CHARS = 300
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u

export interface PdfOptions {
  /** Characters after which no more pages are read: the model never sees more (its input budget). */
  maxChars: number
  /** PDF_LIMITS.maxPages unless given. */
  maxPages?: number
  /** PDF_LIMITS.budgetMs unless given. */
  budgetMs?: number
}

/**
 * Title, language and text of a PDF, with PDF.js (`pdfjs-dist`, Mozilla's, the reader in
 * Firefox): text in reading order (see pdf-layout.ts), pages read until the text reaches
 * `maxChars`, PDF_LIMITS.maxPages or the time budget. The text is empty when the pages
 * read have none (see pdfWithoutText). Throws a PageError: PDF_ENCRYPTED, PDF_INVALID.
 */
export async function extractPdf(bytes: Uint8Array, options: PdfOptions): Promise<ExtractedPdf> {
  const { maxChars, maxPages = PDF_LIMITS.maxPages, budgetMs = PDF_LIMITS.budgetMs } = options
  const pdfjs = await loadPdfjs()
  // From here: loading PDF.js (once a thread, seconds on a busy machine) is not the document's cost.
  const deadline = performance.now() + budgetMs
  // PDF.js takes the buffer over (it may detach it): it gets its own copy.
  const task = pdfjs.getDocument({ ...DOCUMENT_PARAMS, data: new Uint8Array(bytes) })
  try {
    let document
    try {
      document = await task.promise
    } catch (error) {
      throw openError(error)
    }
    const total = document.numPages
    const parts: string[] = []
    let chars = 0
    let read = 0
    let heading = ''
    while (read < Math.min(total, maxPages) && chars < maxChars) {
      if (read > 0 && performance.now() > deadline) break
      const page = await document.getPage(read + 1)
      const content = await page.getTextContent()
      const segments = readingOrder(segmentsOf(content.items.filter((item): item is TextRun & typeof item => 'str' in item)))
      page.cleanup()
      if (read === 0) heading = headingOf(segments, page.view)
      const text = segmentText(segments)
      parts.push(text)
      chars += text.length
      read += 1
    }
    const text = collapseWhitespace(parts.join('\n\n'))
    const { info } = await document.getMetadata()
    const infoTitle = collapseWhitespace(stringField(info, 'Title'))
    const title = (infoTitle !== '' && !JUNK_TITLE.test(infoTitle) ? infoTitle : heading).slice(0, MAX_HEADING_CHARS).trimEnd()
    const declared = normalizeLangTag(stringField(info, 'Language'))
    return { title, lang: declared || detectLanguage(text || title), langDeclared: declared !== '', text, pages: { total, read } }
  } finally {
    await task.destroy()
  }
}

/**
 * Why a PDF gave no text (`text` without a letter or digit): it has no text layer, or the
 * pages read within the budget had none. The page's record says how many pages it has.
 */
export function pdfWithoutText({ total, read }: PdfPages): PageError {
  if (read < Math.min(total, PDF_LIMITS.maxPages)) return pageTooComplex(`no text found in the first ${read} of ${total} PDF pages within ${PDF_LIMITS.budgetMs / 1000} s`)
  return new PageError(ERROR_CODES.NO_TEXT, `the PDF has no text layer (${total} page${total === 1 ? '' : 's'} of images: scanned, or text drawn as graphics)`, {
    hint: 'it needs OCR before it can be summarised (e.g. ocrmypdf adds a text layer)',
  })
}

/** The first page's heading: its largest-font line near the top, when that font is clearly larger than the body's. */
function headingOf(segments: readonly Segment[], view: number[]): string {
  if (segments.length < 2) return ''
  const sizes = segments.map((s) => s.size).sort((a, b) => a - b)
  const body = sizes[Math.floor(sizes.length / 2)] as number
  // Headings open a page: a large line lower down is a figure label or a form's box.
  const [, bottom = 0, , top = 0] = view
  const upper = segments.filter((s) => s.y >= top - HEADING_ZONE * (top - bottom))
  const largest = Math.max(0, ...upper.map((s) => s.size))
  if (largest < body * HEADING_SIZE_RATIO) return ''
  // A heading may wrap: the consecutive lines in that size, in reading order.
  const start = segments.findIndex((s) => upper.includes(s) && s.size >= largest * 0.95)
  let end = start
  while (end + 1 < segments.length && (segments[end + 1] as Segment).size >= largest * 0.95) end++
  const heading = collapseWhitespace(segments.slice(start, end + 1).map((s) => s.text).join(' '))
  // A drop cap or a large page number is not a heading.
  return heading.length >= MIN_HEADING_CHARS && heading.length <= MAX_HEADING_CHARS && LETTER_OR_DIGIT.test(heading) ? heading : ''
}

function stringField(info: unknown, key: string): string {
  const value = (info as Record<string, unknown> | undefined)?.[key]
  return typeof value === 'string' ? value : ''
}

function openError(error: unknown): PageError {
  const name = error instanceof Error ? error.name : ''
  if (name === 'PasswordException') {
    return new PageError(ERROR_CODES.PDF_ENCRYPTED, 'the PDF is encrypted and needs a password to open', {
      cause: error,
      hint: 'save a copy without the password (or find an open version of the document) and summarise that',
    })
  }
  const reason = error instanceof Error ? error.message : String(error)
  return new PageError(ERROR_CODES.PDF_INVALID, `the body is not a readable PDF (${reason.slice(0, 200)})`, {
    cause: error,
    hint: 'the server may have sent an error or login page as the PDF: open the URL in a browser',
  })
}

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs')

const require = createRequire(import.meta.url)
const PDFJS_DIR = dirname(require.resolve('pdfjs-dist/package.json'))

/**
 * No fonts are rendered and nothing is evaluated: text only. The font and CMap data ship in
 * the package (without `standardFontDataUrl` PDF.js warns on every page that uses one of the
 * 14 standard fonts; CJK PDFs need the CMaps to map glyphs to text).
 */
const DOCUMENT_PARAMS = {
  standardFontDataUrl: join(PDFJS_DIR, 'standard_fonts') + '/',
  cMapUrl: join(PDFJS_DIR, 'cmaps') + '/',
  cMapPacked: true,
  wasmUrl: join(PDFJS_DIR, 'wasm') + '/',
  isEvalSupported: false,
  disableFontFace: true,
  useSystemFonts: false,
  stopAtErrors: false,
  // Errors only: PDF.js warns about every oddity of real files on stdout.
  verbosity: 0,
} as const

let loading: Promise<Pdfjs> | undefined

/**
 * PDF.js, loaded the first time a PDF is read (about 1 s of module loading and compiling): a
 * run with no PDF never pays for it. Its worker code runs on the calling thread (a pool
 * thread already is the worker): set as `globalThis.pdfjsWorker`, PDF.js uses it instead of
 * starting a web worker of its own.
 */
function loadPdfjs(): Promise<Pdfjs> {
  loading ??= (async () => {
    const worker: unknown = await import(WORKER_MODULE)
    ;(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker
    return import('pdfjs-dist/legacy/build/pdf.mjs')
  })()
  return loading
}

// A variable, so the compiler does not look for types the worker build does not ship.
const WORKER_MODULE = 'pdfjs-dist/legacy/build/pdf.worker.mjs'
