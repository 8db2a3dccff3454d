/**
 * Extraction cost and quality on the 90-page Readability corpus (../shared/corpus), the
 * workload of issue 9: per page, the CPU time of decode + extract + extractive summary (what
 * a worker spends on a page), the share of the expected words the extracted text keeps
 * (recall), and whether the title is the expected one.
 *
 *   npx tsx bench/extract.ts [--json] [--repeats N] [--save-baseline]
 *   npx tsx bench/extract.ts --explosive [--json]
 *   npx tsx bench/extract.ts --quality [--data DIR] [--split dev|held-out] [--cleaneval DIR] [--baseline DIR] [--repeats N] [--json]
 *
 * Every page runs once to warm up, then N times (default 5); its CPU figure is the median of
 * those. Recall is compared page by page with bench/results/extract-baseline.json, which
 * --save-baseline writes from this run.
 *
 * --explosive runs the acceptance workload of issue 10 instead (see extract-explosive.ts): the corpus
 * pages alone, then with the explosive pages among them, in every strategy.
 *
 * --quality scores main-text quality (see extract-quality.ts): word-shingle precision, recall
 * and F1 against the hand-made ground truth of a data set in the Dragnet layout (`--data DIR`
 * or DRAGNET_DATA; skipped with a hint when absent), word recall on the corpus, and CPU a
 * page; `--cleaneval DIR` adds the CleanEval development set (input/, GoldStandard/) as a second
 * dev set; `--baseline DIR` runs another checkout's extractPage beside this one's.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseHTML } from 'linkedom'
import { collapseWhitespace, extractPage } from '../src/extract.js'
import { CORPUS_DIR, corpusPageNames } from '../test/helpers/corpus.js'
import { CORPUS_URL, measureExtractionCpu } from './extract-cpu.js'
import { runExplosive } from './extract-explosive.js'
import { runQuality } from './extract-quality.js'
import { GOLD_SPLITS, type GoldSplit } from './gold-dataset.js'
import { wordRecall } from './text-metrics.js'

const BASELINE_FILE = fileURLToPath(new URL('./results/extract-baseline.json', import.meta.url))

interface PageResult {
  name: string
  cpuMs: number
  recall: number
  titleMatches: boolean
}

interface Baseline {
  /** The run's figures when the baseline was saved, for the before/after table in the README. */
  cpuMs: { median: number; mean: number; p95: number }
  titleMatches: number
  recall: Record<string, number>
}

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    explosive: { type: 'boolean', default: false },
    repeats: { type: 'string', default: '5' },
    'save-baseline': { type: 'boolean', default: false },
    quality: { type: 'boolean', default: false },
    data: { type: 'string' },
    split: { type: 'string', multiple: true },
    baseline: { type: 'string' },
    cleaneval: { type: 'string' },
  },
})
const repeats = Number(values.repeats)
if (!Number.isInteger(repeats) || repeats < 1) throw new TypeError(`--repeats must be a positive integer, got ${values.repeats}`)

if (values.quality) {
  const splits = values.split ?? [...GOLD_SPLITS]
  for (const split of splits) if (!(GOLD_SPLITS as readonly string[]).includes(split)) throw new TypeError(`--split must be one of ${GOLD_SPLITS.join(', ')}, got ${split}`)
  const corpus = corpusPageNames().map((name) => ({ name, source: readFileSync(join(CORPUS_DIR, name, 'source.html'), 'utf8'), reference: expectedText(name) }))
  await runQuality({ data: values.data ?? process.env['DRAGNET_DATA'], splits: splits as GoldSplit[], baseline: values.baseline, cleaneval: values.cleaneval, repeats, json: values.json }, corpus)
  process.exit(0)
}

if (values.explosive) {
  await runExplosive(values.json)
  process.exit(0)
}

const measured = await measureExtractionCpu(corpusPageNames(), (name) => join(CORPUS_DIR, name, 'source.html'), repeats)
const results: PageResult[] = []
for (const { name, cpuMs } of measured) {
  const dir = join(CORPUS_DIR, name)
  const page = extractPage(readFileSync(join(dir, 'source.html'), 'utf8'), { url: CORPUS_URL, contentType: 'text/html' })
  const metadata = JSON.parse(readFileSync(join(dir, 'expected-metadata.json'), 'utf8')) as { title?: string | null }
  results.push({
    name,
    cpuMs,
    recall: wordRecall(expectedText(name), page.text),
    titleMatches: page.title === collapseWhitespace(metadata.title ?? ''),
  })
}

const cpu = results.map((r) => r.cpuMs)
if (values['save-baseline']) {
  const saved: Baseline = {
    cpuMs: { median: round(median(cpu), 2), mean: round(mean(cpu), 2), p95: round(percentile(cpu, 0.95), 2) },
    titleMatches: results.filter((r) => r.titleMatches).length,
    recall: Object.fromEntries(results.map((r) => [r.name, round(r.recall, 4)])),
  }
  writeFileSync(BASELINE_FILE, `${JSON.stringify(saved, null, 2)}\n`)
}
const baseline = JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as Baseline
const drops = results.map((r) => ({ name: r.name, drop: (baseline.recall[r.name] ?? 0) - r.recall })).sort((a, b) => b.drop - a.drop)
const worst = drops[0] ?? { name: '', drop: 0 }
const summary = {
  pages: results.length,
  repeats,
  cpuMsMedian: round(median(cpu), 2),
  cpuMsMean: round(mean(cpu), 2),
  cpuMsP95: round(percentile(cpu, 0.95), 2),
  cpuMsMax: round(Math.max(...cpu), 2),
  recallMedian: round(median(results.map((r) => r.recall)), 4),
  worstRecallDrop: { page: worst.name, points: round(100 * worst.drop, 2) },
  titleMatches: results.filter((r) => r.titleMatches).length,
  baselineCpuMsMedian: baseline.cpuMs.median,
  baselineCpuMsMean: baseline.cpuMs.mean,
}

if (values.json) {
  console.log(JSON.stringify({ summary, pages: results }, null, 2))
} else {
  const rows: Array<[string, string]> = [
    ['pages', String(summary.pages)],
    ['CPU ms/page, median', summary.cpuMsMedian.toFixed(2)],
    ['CPU ms/page, mean', summary.cpuMsMean.toFixed(2)],
    ['CPU ms/page, p95', summary.cpuMsP95.toFixed(2)],
    ['CPU ms/page, max', summary.cpuMsMax.toFixed(2)],
    ['baseline CPU ms/page, median / mean', `${baseline.cpuMs.median.toFixed(2)} / ${baseline.cpuMs.mean.toFixed(2)}`],
    ['recall, median', summary.recallMedian.toFixed(4)],
    ['worst recall drop vs baseline', `${summary.worstRecallDrop.points.toFixed(2)} points (${summary.worstRecallDrop.page})`],
    ['titles as expected', `${summary.titleMatches} / ${summary.pages}`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log(`decode + extract + extractive summary, ${repeats} runs a page after one warm-up (median of the runs)`)
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
}

/** The text of the page's expected.html (what Readability's test suite expects). */
function expectedText(name: string): string {
  const expectedHtml = readFileSync(join(CORPUS_DIR, name, 'expected.html'), 'utf8')
  return parseHTML(`<html><body>${expectedHtml}</body></html>`).document.body.textContent as string
}

function median(values: number[]): number {
  return percentile(values, 0.5)
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits))
}
