import { PDFDocument, StandardFonts } from 'pdf-lib'
import { createRequire } from 'node:module'
const doc = await PDFDocument.create()
doc.setTitle('A Study of Things'); doc.setLanguage('en-GB')
const font = await doc.embedFont(StandardFonts.Helvetica)
for (let p = 0; p < 3; p++) {
  const page = doc.addPage([612, 792])
  page.drawText('Big Heading Here', { x: 72, y: 720, size: 24, font })
  for (let l = 0; l < 10; l++) page.drawText(`Line ${l} of page ${p}: the quick brown fox jumps over the lazy dog.`, { x: 72, y: 680 - l * 14, size: 11, font })
}
const bytes = await doc.save()
const t0 = performance.now()
const require = createRequire(import.meta.url)
;(globalThis as any).pdfjsWorker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs')
const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs')
const base = require.resolve('pdfjs-dist/package.json').replace(/package\.json$/, '')
console.log('load', performance.now() - t0)
const task = pdfjs.getDocument({ data: bytes, standardFontDataUrl: base + 'standard_fonts/', cMapUrl: base + 'cmaps/', cMapPacked: true, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 })
const pdf = await task.promise
console.log('pages', pdf.numPages, await pdf.getMetadata().then(m => ({ info: m.info, md: m.metadata?.getAll?.() })))
const page = await pdf.getPage(1)
const tc = await page.getTextContent()
console.log(tc.items.slice(0, 3))
await pdf.destroy()
console.log('total', performance.now() - t0)
