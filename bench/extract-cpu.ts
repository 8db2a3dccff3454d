import { readFileSync } from 'node:fs'
import { analyzePage, type AnalyzeTask } from '../src/analyze.js'
import { ExtractiveSummarizer } from '../src/summarizers/extractive.js'

/** The URL Readability's own test suite gives the corpus pages. */
export const CORPUS_URL = 'http://fakehost/test/page.html'
const MAX_CHARS = 300
const MAX_INPUT_CHARS = 12_000

/** One page's CPU cost: the median over its measured runs. */
export interface PageCpu {
  name: string
  cpuMs: number
}

/**
 * CPU time of decode + extract + extractive summary (what a worker thread spends on a page)
 * for each page: one warm-up run, then `repeats` runs, median of those. `source(name)` is
 * the page's file. Used by `bench/extract.ts` and by the bench's `extract` row.
 */
export async function measureExtractionCpu(names: readonly string[], source: (name: string) => string, repeats: number): Promise<PageCpu[]> {
  const summarizer = new ExtractiveSummarizer()
  const results: PageCpu[] = []
  for (const name of names) {
    const task: AnalyzeTask = { url: CORPUS_URL, body: readFileSync(source(name)), contentType: source(name).endsWith('.txt') ? 'text/plain' : 'text/html', headerCharset: undefined, maxChars: MAX_CHARS, maxInputChars: MAX_INPUT_CHARS }
    const samples: number[] = []
    for (let i = 0; i <= repeats; i++) {
      const before = process.cpuUsage()
      const outcome = await analyzePage(task, summarizer)
      const used = process.cpuUsage(before)
      if (outcome.status !== 'ok') throw new Error(`${name}: ${outcome.error.code} ${outcome.error.message}`)
      if (i > 0) samples.push((used.user + used.system) / 1000)
    }
    results.push({ name, cpuMs: medianOf(samples) })
  }
  return results
}

export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(0.5 * sorted.length))] ?? Number.NaN
}
