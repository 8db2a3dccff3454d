/**
 * How close extracted text is to a reference text, as pure functions: word-shingle
 * precision and recall against hand-made ground truth (the measure content-extraction
 * benchmarks use), and the share of expected words kept (the corpus tests' measure).
 */

/** Shingles are runs of this many consecutive words, so a kept word in a wrong place is no match. */
export const SHINGLE_WORDS = 4

/** A word is a run of letters, digits and underscores (Python's `\w+`, the usual tokenizer of these benchmarks). */
const SHINGLE_TOKEN = /[\p{L}\p{M}\p{N}_]+/gu

/** One page's shingle counts: shared with the reference, extracted only, reference only (multisets). */
export interface ShingleCounts {
  truePositive: number
  falsePositive: number
  falseNegative: number
}

export interface QualityScores {
  pages: number
  /** Means over the pages of each page's precision and recall; F1 is their harmonic mean. */
  precision: number
  recall: number
  f1: number
}

/** The multiset of `SHINGLE_WORDS`-word shingles; a text shorter than that is one shingle. */
export function shingles(text: string, size = SHINGLE_WORDS): Map<string, number> {
  const words = text.match(SHINGLE_TOKEN) ?? []
  const counts = new Map<string, number>()
  const last = Math.max(1, words.length - size + 1)
  for (let i = 0; i < last && words.length > 0; i++) {
    const shingle = words.slice(i, i + size).join(' ')
    counts.set(shingle, (counts.get(shingle) ?? 0) + 1)
  }
  return counts
}

export function shingleCounts(reference: string, extracted: string): ShingleCounts {
  const want = shingles(reference)
  const have = shingles(extracted)
  let truePositive = 0
  let falseNegative = 0
  for (const [shingle, n] of want) {
    const shared = Math.min(n, have.get(shingle) ?? 0)
    truePositive += shared
    falseNegative += n - shared
  }
  let extractedTotal = 0
  for (const n of have.values()) extractedTotal += n
  return { truePositive, falsePositive: extractedTotal - truePositive, falseNegative }
}

/** A page with nothing extracted scores precision 0: an empty answer is not a precise one. */
export function pagePrecision(counts: ShingleCounts): number {
  const extracted = counts.truePositive + counts.falsePositive
  return extracted === 0 ? 0 : counts.truePositive / extracted
}

export function pageRecall(counts: ShingleCounts): number {
  const reference = counts.truePositive + counts.falseNegative
  return reference === 0 ? 1 : counts.truePositive / reference
}

/** Precision and recall averaged over pages (each page weighs the same, whatever its length), and their F1. */
export function qualityScores(pages: readonly ShingleCounts[]): QualityScores {
  if (pages.length === 0) return { pages: 0, precision: Number.NaN, recall: Number.NaN, f1: Number.NaN }
  const precision = pages.reduce((sum, page) => sum + pagePrecision(page), 0) / pages.length
  const recall = pages.reduce((sum, page) => sum + pageRecall(page), 0) / pages.length
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { pages: pages.length, precision, recall, f1 }
}

/**
 * A word for `wordRecall` is a run of letters and digits, or one Han or kana character, so
 * Chinese and Japanese pages are counted by character rather than by line.
 */
const RECALL_WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\s\p{P}\p{S}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu

/** Share of the expected words (with multiplicity) that the extracted text also has. */
export function wordRecall(expected: string, actual: string): number {
  const want = wordCounts(expected)
  const have = wordCounts(actual)
  let total = 0
  let found = 0
  for (const [word, n] of want) {
    total += n
    found += Math.min(n, have.get(word) ?? 0)
  }
  return total === 0 ? 1 : found / total
}

function wordCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const [word] of text.toLowerCase().matchAll(RECALL_WORD)) counts.set(word, (counts.get(word) ?? 0) + 1)
  return counts
}
