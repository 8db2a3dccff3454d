/**
 * Where main-text quality is lost, to find the commonest kinds of boilerplate we keep and
 * of main text we drop (a tuning aid for src/extract/boilerplate.ts, run on dev data only):
 *
 *   npx tsx bench/extract-misses.ts --data DIR [--format dragnet|cleaneval] [--pages N] [--blocks N] [--missed]
 *
 * Lists the N pages of lowest precision with the runs of extracted words that no reference
 * shingle covers, then the blocks of Readability's article (after our passes) that hold the
 * most such words over the whole split, keyed by tag, id and the class the page gave them
 * (Readability strips classes; this run copies them to `data-class` first, which changes
 * nothing else). `--missed` lists the runs of reference words we lose instead.
 */
import { parseArgs } from 'node:util'
import { Readability } from '@mozilla/readability'
import { removeBoilerplate } from '../src/extract/boilerplate.js'
import { ExtractBudget } from '../src/extract/budget.js'
import { buildDocument } from '../src/extract/build.js'
import { createAttribute, ELEMENT_NODE, TEXT_NODE, type DomElement, type DomNode } from '../src/extract/dom.js'
import { childElements } from '../src/extract/dom-walk.js'
import { removeOffArticleBlocks } from '../src/extract/off-article.js'
import { withBudget } from '../src/extract/readability-hooks.js'
import { extractPage } from '../src/extract.js'
import { goldQualityPages, type QualityPage } from './extract-quality.js'
import { readCleanEvalPages } from './cleaneval-dataset.js'
import { readGoldSplit } from './gold-dataset.js'
import { pagePrecision, pageRecall, shingleCounts, shingles, SHINGLE_WORDS } from './text-metrics.js'

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    format: { type: 'string', default: 'dragnet' },
    pages: { type: 'string', default: '30' },
    blocks: { type: 'string', default: '60' },
    missed: { type: 'boolean', default: false },
  },
})
if (values.data === undefined) throw new TypeError('--data DIR is required')
const pages: QualityPage[] = values.format === 'cleaneval' ? readCleanEvalPages(values.data) : goldQualityPages(readGoldSplit(values.data, 'dev'))
const TOKEN = /[\p{L}\p{M}\p{N}_]+/gu
const OPTIONS = { url: 'http://fakehost/test/page.html', contentType: 'text/html' as const, budgetMs: 600_000 }

/** For each word of `text`, whether a shingle of `other` covers it. */
function covered(text: string, other: string): { words: string[]; good: boolean[] } {
  const words = text.match(TOKEN) ?? []
  const known = shingles(other)
  const good = words.map(() => false)
  if (words.length < SHINGLE_WORDS) {
    const hit = known.has(words.join(' '))
    return { words, good: good.map(() => hit) }
  }
  for (let i = 0; i + SHINGLE_WORDS <= words.length; i++) {
    if (known.has(words.slice(i, i + SHINGLE_WORDS).join(' '))) for (let k = i; k < i + SHINGLE_WORDS; k++) good[k] = true
  }
  return { words, good }
}

function runs(words: string[], good: boolean[]): string[] {
  const out: string[] = []
  let current: string[] = []
  words.forEach((word, i) => {
    if (!good[i]) current.push(word)
    else if (current.length > 0) {
      out.push(current.join(' '))
      current = []
    }
  })
  if (current.length > 0) out.push(current.join(' '))
  return out
}

const scored = pages.map((page) => {
  const text = extractPage(page.source, OPTIONS).text
  const counts = shingleCounts(page.reference, text)
  return { page, text, precision: pagePrecision(counts), recall: pageRecall(counts) }
})

const limit = Number(values.pages)
if (values.missed) {
  for (const s of [...scored].sort((a, b) => a.recall - b.recall).slice(0, limit)) {
    const { words, good } = covered(s.page.reference, s.text)
    console.log(`\n## ${s.page.name} recall ${s.recall.toFixed(3)} precision ${s.precision.toFixed(3)}`)
    for (const run of runs(words, good).filter((r) => r.split(' ').length >= 3)) console.log(`  - ${run.slice(0, 300)}`)
  }
  process.exit(0)
}

for (const s of [...scored].sort((a, b) => a.precision - b.precision).slice(0, limit)) {
  const { words, good } = covered(s.text, s.page.reference)
  console.log(`\n## ${s.page.name} precision ${s.precision.toFixed(3)} recall ${s.recall.toFixed(3)}`)
  for (const run of runs(words, good)) console.log(`  + ${run.slice(0, 300)}`)
}

/** Per block key: extra words over the split, pages, and a sample. */
const blocks = new Map<string, { extra: number; total: number; pages: Set<string>; sample: string }>()
const BLOCK = new Set(['p', 'li', 'div', 'section', 'aside', 'footer', 'header', 'nav', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'figure', 'figcaption', 'table', 'td', 'dl', 'dd', 'dt', 'blockquote', 'span', 'pre', 'form'])

function key(element: DomElement): string {
  const cls = (element.getAttribute('data-class') ?? '').trim().replace(/\s+/g, '.')
  const id = (element.getAttribute('id') ?? '').trim()
  return `${element.localName}${id === '' ? '' : `#${id}`}${cls === '' ? '' : `.${cls}`}`
}

for (const s of scored) {
  const budget = new ExtractBudget(600_000)
  const { document } = buildDocument(s.page.source, OPTIONS.url, budget)
  const all = [document.body]
  while (all.length > 0) {
    const element = all.pop() as DomElement
    const cls = element.getAttribute('class')
    if (cls !== undefined) element.attributes.push(createAttribute('data-class', cls))
    all.push(...childElements(element))
  }
  removeOffArticleBlocks(document.body)
  let content: DomElement | undefined
  try {
    content = withBudget(budget, () => new Readability<DomElement>(document as never, { serializer: (node) => node as unknown as DomElement, keepClasses: true }).parse())?.content ?? undefined
  } catch {
    content = undefined
  }
  if (content === undefined) continue
  removeBoilerplate(content)
  // Text nodes in order, each with its words, and the nearest named block above it.
  const nodes: Array<{ words: string[]; block: string }> = []
  const stack: Array<{ node: DomNode; leaf: string; named: string[] }> = [{ node: content, leaf: 'article', named: [] }]
  while (stack.length > 0) {
    const { node, leaf, named } = stack.pop() as { node: DomNode; leaf: string; named: string[] }
    if (node.nodeType === TEXT_NODE) {
      nodes.push({ words: (node.textContent ?? '').match(TOKEN) ?? [], block: `${leaf} < ${named.slice(-2).join(' < ')}` })
      continue
    }
    if (node.nodeType !== ELEMENT_NODE) continue
    const element = node as DomElement
    const here = BLOCK.has(element.localName) ? element.localName : leaf
    const isNamed = element !== content && !/^readability-page/.test(element.getAttribute('id') ?? '') && (element.getAttribute('id') !== undefined || element.getAttribute('data-class') !== undefined)
    const chain = isNamed ? [...named, key(element)] : named
    for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push({ node: node.childNodes[i] as DomNode, leaf: here, named: chain })
  }
  const words = nodes.flatMap((n) => n.words)
  const { good } = covered(words.join(' '), s.page.reference)
  let index = 0
  const perBlock = new Map<string, { extra: number; total: number; text: string[] }>()
  for (const node of nodes) {
    const entry = perBlock.get(node.block) ?? { extra: 0, total: 0, text: [] }
    for (const word of node.words) {
      entry.total++
      if (!good[index]) entry.extra++
      if (entry.text.length < 25) entry.text.push(word)
      index++
    }
    perBlock.set(node.block, entry)
  }
  for (const [block, entry] of perBlock) {
    if (entry.extra === 0) continue
    const generic = block.replace(/\d+/g, 'N')
    const agg = blocks.get(generic) ?? { extra: 0, total: 0, pages: new Set<string>(), sample: '' }
    agg.extra += entry.extra
    agg.total += entry.total
    agg.pages.add(s.page.name)
    if (agg.sample === '' || entry.extra / entry.total > 0.9) agg.sample = entry.text.join(' ')
    blocks.set(generic, agg)
  }
}

console.log('\n# blocks holding the most extra words (extra/total words, pages): key — sample')
for (const [block, agg] of [...blocks].sort((a, b) => b[1].extra - a[1].extra).slice(0, Number(values.blocks))) {
  console.log(`${String(agg.extra).padStart(6)}/${String(agg.total).padEnd(6)} ${String(agg.pages.size).padStart(3)}p  ${block.slice(0, 90)} — ${agg.sample.slice(0, 120)}`)
}
