import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodePage } from '../src/decode.js'
import type { QualityPage } from './extract-quality.js'
import { decodeGold } from './gold-dataset.js'

/**
 * The CleanEval development set (2007: 58 pages, each with a person's cleaned text), a second
 * dev set for main-text rules, read from where the user unpacked it and never vendored:
 *
 *   DIR/input/N.html         the page, wrapped in `<text id="URL" title=… encoding=…>…</text>`
 *   DIR/GoldStandard/N.txt   `URL: …`, then the text with `<p>`, `<h>`, `<l>` marking its blocks
 */
export function readCleanEvalPages(dir: string): QualityPage[] {
  for (const part of ['input', 'GoldStandard']) if (!existsSync(join(dir, part))) throw new TypeError(`\`${dir}\` has no \`${part}\`: unpack the CleanEval development set (input/ and GoldStandard/) there`)
  const names = readdirSync(join(dir, 'input'))
    .filter((file) => file.endsWith('.html'))
    .map((file) => file.slice(0, -'.html'.length))
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
  const pages: QualityPage[] = []
  for (const name of names) {
    const goldPath = join(dir, 'GoldStandard', `${name}.txt`)
    if (!existsSync(goldPath)) continue
    const html = decodePage(readFileSync(join(dir, 'input', `${name}.html`)), { contentType: 'text/html' }).text
    // The wrapper is the data set's, not the page's.
    const source = html.replace(/^\s*<text\b[^>]*>/i, '').replace(/<\/text>\s*$/i, '')
    const reference = decodeGold(readFileSync(goldPath))
      .replace(/^\uFEFF?\s*URL:[^\n]*\n/, '')
      .replace(/<[phl]>/g, ' ')
    pages.push({ name, source, reference })
  }
  return pages
}
