import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { decodePage } from '../src/decode.js'
import type { ExtractedPage, ExtractOptions } from '../src/extract.js'
import { readCleanEvalPages } from './cleaneval-dataset.js'
import { GOLD_DATASET_HINT, goldDatasetProblem, readGoldSplit, type GoldPage, type GoldSplit } from './gold-dataset.js'
import type { ExtractQuality } from './probes.js'
import { median } from './stats.js'
import { pagePrecision, pageRecall, qualityScores, shingleCounts, wordRecall, type QualityScores, type ShingleCounts } from './text-metrics.js'

/** `extractPage` of one revision of the code. */
export type ExtractFn = (source: string, options: ExtractOptions) => ExtractedPage

export interface Revision {
  /** `this checkout`, or the folder of the other checkout it was loaded from. */
  label: string
  extract: ExtractFn
}

/** One revision's figures on one set of pages. */
export interface RevisionQuality {
  label: string
  scores: QualityScores
  /** CPU milliseconds of `extractPage` a page: the median of its runs, then the mean and median over pages. */
  cpuMsMean: number
  cpuMsMedian: number
  pages: Array<{ name: string; precision: number; recall: number; cpuMs: number }>
}

/** What a page is extracted as: the data set's pages are bytes as crawled, decoded as the tool decodes a page without a header. */
export interface QualityPage {
  name: string
  source: string
  /** The hand-made main text, for shingle scores; or the expected text, for word recall. */
  reference: string
}

const PAGE_URL = 'http://fakehost/test/page.html'
/**
 * Quality is about what is extracted, not about the deadline: on a machine shared with other
 * work a page can pass the default 10 s wall-time budget, which would end the whole run.
 */
const EXTRACT_OPTIONS: ExtractOptions = { url: PAGE_URL, contentType: 'text/html', budgetMs: 10 * 60 * 1000 }

export function goldQualityPages(pages: readonly GoldPage[]): QualityPage[] {
  return pages.map((page) => ({ name: page.name, source: decodePage(readFileSync(page.htmlPath), { contentType: 'text/html' }).text, reference: page.reference }))
}

/**
 * The code of another checkout (`git worktree add ../base main`, with its own `npm ci`), to
 * compare against in the same process on the same pages: its own node_modules give it its
 * own copy of Readability's DOM, so neither revision's hooks reach the other's.
 */
export async function loadRevision(dir: string): Promise<Revision> {
  const file = join(resolve(dir), 'src', 'extract.ts')
  const module = (await import(pathToFileURL(file).href)) as { extractPage?: ExtractFn }
  if (typeof module.extractPage !== 'function') throw new TypeError(`--baseline \`${dir}\`: ${file} exports no extractPage`)
  return { label: dir, extract: module.extractPage }
}

/**
 * Extracts every page with every revision, `repeats` times after one warm-up, alternating
 * which revision goes first, so a busy machine or a warming JIT weighs on each alike.
 * `score` turns a page's reference and extracted text into its shingle counts.
 */
export function measureRevisions(pages: readonly QualityPage[], revisions: readonly Revision[], repeats: number): RevisionQuality[] {
  const texts = revisions.map(() => [] as string[])
  const cpu = revisions.map(() => [] as number[])
  for (const page of pages) {
    const samples = revisions.map(() => [] as number[])
    for (let run = 0; run <= repeats; run++) {
      for (let k = 0; k < revisions.length; k++) {
        const index = (k + run) % revisions.length
        const revision = revisions[index] as Revision
        const before = process.cpuUsage()
        const extracted = revision.extract(page.source, EXTRACT_OPTIONS)
        const used = process.cpuUsage(before)
        if (run === 0) (texts[index] as string[]).push(extracted.text)
        else (samples[index] as number[]).push((used.user + used.system) / 1000)
      }
    }
    samples.forEach((s, index) => (cpu[index] as number[]).push(median(s)))
  }
  return revisions.map((revision, index) => {
    const extracted = texts[index] as string[]
    const cpuMs = cpu[index] as number[]
    const counts: ShingleCounts[] = pages.map((page, i) => shingleCounts(page.reference, extracted[i] ?? ''))
    return {
      label: revision.label,
      scores: qualityScores(counts),
      cpuMsMean: cpuMs.reduce((a, b) => a + b, 0) / Math.max(1, cpuMs.length),
      cpuMsMedian: median(cpuMs),
      pages: pages.map((page, i) => ({
        name: page.name,
        precision: pagePrecision(counts[i] as ShingleCounts),
        recall: pageRecall(counts[i] as ShingleCounts),
        cpuMs: cpuMs[i] ?? Number.NaN,
      })),
    }
  })
}

/** Each revision's word recall on each page (the corpus tests' measure), same order as `revisions`. */
export function corpusRecall(pages: readonly QualityPage[], revisions: readonly Revision[]): Array<Array<{ name: string; recall: number }>> {
  return revisions.map((revision) => pages.map((page) => ({ name: page.name, recall: wordRecall(page.reference, revision.extract(page.source, EXTRACT_OPTIONS).text) })))
}

/** The bench's `extract quality` line: this checkout on the held-out split. Throws a TypeError naming what the folder lacks. */
export async function measureExtractQuality(dir: string, repeats: number): Promise<ExtractQuality> {
  const problem = goldDatasetProblem(dir)
  if (problem !== undefined) throw new TypeError(`--extract-data: ${problem}`)
  const { extractPage } = await import('../src/extract.js')
  const split: GoldSplit = 'held-out'
  const [measured] = measureRevisions(goldQualityPages(readGoldSplit(dir, split)), [{ label: 'this checkout', extract: extractPage }], repeats)
  if (measured === undefined) throw new Error('no revision measured')
  const { pages, f1, precision, recall } = measured.scores
  return { split, pages, f1, precision, recall, cpuMsMean: measured.cpuMsMean }
}

export interface QualityRunOptions {
  /** The data set's folder (Dragnet layout), or undefined: the data-set part is skipped with a hint. */
  data: string | undefined
  splits: readonly GoldSplit[]
  /** Another checkout to compare with, run in the same process on the same pages. */
  baseline: string | undefined
  /** The CleanEval development set's folder (a second dev set), or undefined. */
  cleaneval?: string | undefined
  repeats: number
  json: boolean
}

/**
 * `npx tsx bench/extract.ts --quality`: shingle precision, recall and F1 on each split of the
 * data set, CPU a page, and word recall on the 90 corpus pages, for this checkout and, with
 * `--baseline`, another one, side by side.
 */
export async function runQuality(options: QualityRunOptions, corpus: QualityPage[]): Promise<void> {
  const revisions: Revision[] = []
  if (options.baseline !== undefined) revisions.push(await loadRevision(options.baseline))
  const { extractPage } = await import('../src/extract.js')
  revisions.push({ label: 'this checkout', extract: extractPage })

  const report: Record<string, unknown> = {}
  const lines: string[] = []
  const problem = options.data === undefined ? `no data set given: ${GOLD_DATASET_HINT}` : goldDatasetProblem(options.data)
  if (problem !== undefined) {
    lines.push(`data set skipped: ${problem}`)
    report['skipped'] = problem
  } else {
    for (const split of options.splits) {
      const pages = goldQualityPages(readGoldSplit(options.data as string, split))
      const measured = measureRevisions(pages, revisions, options.repeats)
      report[split] = measured
      lines.push(`${split} split, ${pages.length} pages (word 4-shingles against the hand-made main text; CPU of extractPage, median of ${options.repeats} runs a page):`)
      for (const m of measured) lines.push(`  ${m.label.padEnd(16)} F1 ${m.scores.f1.toFixed(4)}  precision ${m.scores.precision.toFixed(4)}  recall ${m.scores.recall.toFixed(4)}  CPU ms/page mean ${m.cpuMsMean.toFixed(2)} median ${m.cpuMsMedian.toFixed(2)}`)
      if (measured.length === 2) lines.push(`  CPU this checkout / baseline: mean ${ratio(measured, 'cpuMsMean')}, median ${ratio(measured, 'cpuMsMedian')}`)
    }
  }

  if (options.cleaneval !== undefined) {
    const pages = readCleanEvalPages(options.cleaneval)
    const measured = measureRevisions(pages, revisions, options.repeats)
    report['cleaneval'] = measured
    lines.push(`CleanEval dev, ${pages.length} pages (word 4-shingles against the cleaned text):`)
    for (const m of measured) lines.push(`  ${m.label.padEnd(16)} F1 ${m.scores.f1.toFixed(4)}  precision ${m.scores.precision.toFixed(4)}  recall ${m.scores.recall.toFixed(4)}  CPU ms/page mean ${m.cpuMsMean.toFixed(2)} median ${m.cpuMsMedian.toFixed(2)}`)
  }

  const corpusMeasured = measureRevisions(corpus, revisions, options.repeats)
  const recalls = corpusRecall(corpus, revisions)
  report['corpus'] = corpusMeasured.map((m, i) => ({ label: m.label, cpuMsMean: m.cpuMsMean, cpuMsMedian: m.cpuMsMedian, recall: recalls[i] }))
  lines.push(`corpus, ${corpus.length} pages (word recall against Readability's expected text):`)
  corpusMeasured.forEach((m, i) => {
    const recall = (recalls[i] ?? []).map((r) => r.recall)
    lines.push(`  ${m.label.padEnd(16)} recall median ${median(recall).toFixed(4)} min ${Math.min(...recall).toFixed(4)}  CPU ms/page mean ${m.cpuMsMean.toFixed(2)} median ${m.cpuMsMedian.toFixed(2)}`)
  })
  if (recalls.length === 2) {
    const [before = [], after = []] = recalls
    const drops = after.map((page, i) => ({ name: page.name, points: 100 * ((before[i]?.recall ?? 0) - page.recall) })).sort((a, b) => b.points - a.points)
    report['corpusWorstRecallDrops'] = drops.slice(0, 5)
    lines.push(`  worst recall drops (points): ${drops.slice(0, 5).map((d) => `${d.name} ${d.points.toFixed(2)}`).join(', ')}`)
    lines.push(`  CPU this checkout / baseline: mean ${ratio(corpusMeasured, 'cpuMsMean')}, median ${ratio(corpusMeasured, 'cpuMsMedian')}`)
  }
  console.log(options.json ? JSON.stringify(report, null, 2) : lines.join('\n'))
}

function ratio(measured: readonly RevisionQuality[], key: 'cpuMsMean' | 'cpuMsMedian'): string {
  const [before, after] = measured
  return before === undefined || after === undefined ? 'n/a' : `${(after[key] / before[key]).toFixed(3)}×`
}
