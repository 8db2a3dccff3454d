import { fitToLength } from '../text.js'
import { candidateSentences, type Sentence, tokenize } from './sentences.js'
import type { Summarizer, SummaryRequest, SummaryResult } from './summarizer.js'

const DAMPING = 0.85
const MAX_ITERATIONS = 100
/** L1 change of the rank vector (which sums to 1) below which PageRank has converged. */
const CONVERGENCE = 1e-5
/** A sentence sharing every title word scores up to this much higher (×1.15). */
const TITLE_WEIGHT = 0.15
/**
 * The lead prior. News and reference pages put their most important sentence first, which
 * is why LEAD-3 (the first three sentences) is the baseline extractive summarizers are
 * measured against (See et al. 2017; Nallapati et al. 2017, SummaRuNNer's position
 * feature): the first sentence scores up to ×(1 + LEAD_WEIGHT), the next ones a share that
 * halves each sentence (LEAD_DECAY). On the corpus's 25 news pages
 * (`npx tsx scripts/lead-check.ts`, summaries of 300 and 600 characters) the first sentence
 * was kept in 10 summaries with the old linear ×1.1 tie-breaker, and is in 20 with this;
 * the five left out are photo captions and asides.
 */
const LEAD_WEIGHT = 1
const LEAD_DECAY = 0.5
/**
 * The lead prior only holds for a sentence on the page's topic: its similarity to the other
 * sentences (the row sum of the graph) against the median sentence's, capped at 1. A first
 * sentence that shares nothing with the rest (a caption, a dateline, an aside) gets no lift.
 */
const LEAD_TOPICALITY_CAP = 1
/** Pages repeat themselves (teasers, pull quotes); a near-copy of a chosen sentence adds nothing. */
const DUPLICATE_SIMILARITY = 0.9

/** CJK full stops and closing brackets carry their own spacing: no space after them. */
const CJK_SENTENCE_END = /[\u3000-\u303f\uff01-\uff0f\uff1a-\uff1f\uff5d-\uff65]$/u

export interface ExtractiveOptions {
  /** The summary is at most this long, in UTF-16 code units (String#length). */
  maxChars: number
  /** BCP 47 tag for sentence and word segmentation; English rules when absent or invalid. */
  lang?: string
  /** Sentences sharing the title's words get a small boost. */
  title?: string
}

/** TF-IDF vectors (each sentence a document) and the similarity graph between them. */
interface Graph {
  /** Per sentence: term id to tf × idf, terms with idf 0 left out. */
  vectors: Map<number, number>[]
  norms: Float64Array
  termIds: Map<string, number>
  idf: Float64Array
  /** Cosine similarities in compressed sparse rows: row i is `column`/`value` from `rowStart[i]` to `rowStart[i + 1]`. */
  rowStart: Int32Array
  column: Int32Array
  value: Float64Array
}

/**
 * Picks the most central sentences (LexRank: PageRank over TF-IDF cosine similarity),
 * as many as fit in `maxChars`, and returns them in document order. Deterministic: equal
 * scores go to the earlier sentence.
 */
export function extractiveSummary(text: string, options: ExtractiveOptions): string {
  return fitToLength(rankedSummary(text, options), options.maxChars, options.lang).text
}

/**
 * The best sentences that fit within maxChars together, in document order; when not even
 * one fits, the single best sentence whole, for the caller to cut (and to say it cut).
 */
function rankedSummary(text: string, options: ExtractiveOptions): string {
  const { maxChars, lang, title = '' } = options
  if (!(maxChars >= 1) || text.trim() === '') return ''

  const sentences = candidateSentences(text, lang)
  if (sentences.length === 0) return ''
  const n = sentences.length

  const graph = similarityGraph(sentences)
  const rank = pageRank(graph, n)
  const titleShare = titleOverlap(tokenize(title, lang), graph)

  const topical = topicality(graph, n)
  const ranked = Array.from(rank, (r, i) => ({
    i,
    score: r * (1 + TITLE_WEIGHT * titleShare[i]!) * (1 + LEAD_WEIGHT * LEAD_DECAY ** i * topical[i]!),
  }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ i }) => i)

  const chosen: number[] = []
  for (const i of ranked) {
    const sentence = sentences[i]!
    if (sentence.text.length > maxChars) continue
    if (chosen.some((c) => cosine(graph, c, i) >= DUPLICATE_SIMILARITY)) continue
    const tentative = [...chosen, i].sort((a, b) => a - b)
    if (joinedLength(tentative.map((j) => sentences[j]!.text)) <= maxChars) {
      chosen.length = 0
      chosen.push(...tentative)
    }
  }

  const best = sentences[ranked[0]!]!.text
  return chosen.length === 0 ? best : join(chosen.map((j) => sentences[j]!.text))
}

/** How long an extractive summary is when the reply has no cap. */
const UNCAPPED_SUMMARY_CHARS = 1000

/** The built-in summarizer: offline, deterministic, free, and fast enough to run on the calling thread. */
export class ExtractiveSummarizer implements Summarizer {
  readonly provider = 'extractive'

  async summarize(request: SummaryRequest, signal?: AbortSignal): Promise<SummaryResult> {
    signal?.throwIfAborted()
    // Uncut: the page pipeline enforces maxChars for every summarizer and marks the cut. With
    // no cap (`--max-chars 0`) a summary still has to choose: it takes what it would at 1,000.
    const maxChars = request.maxChars > 0 ? request.maxChars : UNCAPPED_SUMMARY_CHARS
    const summary = rankedSummary(request.text, { maxChars, lang: request.lang, title: request.title })
    return { summary, model: 'extractive', usage: null, attempts: 1 }
  }

  async close(): Promise<void> {}
}

function similarityGraph(sentences: Sentence[]): Graph {
  const n = sentences.length
  const termIds = new Map<string, number>()
  const counts = sentences.map(({ tokens }) => {
    const tf = new Map<number, number>()
    for (const token of tokens) {
      let id = termIds.get(token)
      if (id === undefined) termIds.set(token, (id = termIds.size))
      tf.set(id, (tf.get(id) ?? 0) + 1)
    }
    return tf
  })
  const df = new Int32Array(termIds.size)
  for (const tf of counts) for (const id of tf.keys()) df[id]!++
  const idf = Float64Array.from(df, (d) => Math.log(n / d))

  // Postings per term as flat parallel arrays: this loop is the hot one.
  const postingSentences: number[][] = Array.from({ length: termIds.size }, () => [])
  const postingWeights: number[][] = Array.from({ length: termIds.size }, () => [])
  const norms = new Float64Array(n)
  const vectors = counts.map((tf, sentence) => {
    const vector = new Map<number, number>()
    let sumSquares = 0
    for (const [id, count] of tf) {
      const weight = count * idf[id]!
      // A term in every sentence (idf 0) says nothing about centrality.
      if (weight === 0) continue
      vector.set(id, weight)
      postingSentences[id]!.push(sentence)
      postingWeights[id]!.push(weight)
      sumSquares += weight * weight
    }
    norms[sentence] = Math.sqrt(sumSquares)
    return vector
  })

  // Row by row through the inverted index: the work is the number of sentence pairs that
  // share a term, and nothing n² is allocated. Rows come out in a fixed order, so the
  // floating-point sums (and the summary) are the same on every run.
  const rowStart = new Int32Array(n + 1)
  const column: number[] = []
  const value: number[] = []
  const dot = new Float64Array(n)
  const touched: number[] = []
  for (let a = 0; a < n; a++) {
    for (const [id, weightA] of vectors[a]!) {
      const sentencesWithTerm = postingSentences[id]!
      const weights = postingWeights[id]!
      for (let k = 0; k < sentencesWithTerm.length; k++) {
        const b = sentencesWithTerm[k]!
        if (b === a) continue
        if (dot[b] === 0) touched.push(b)
        dot[b]! += weightA * weights[k]!
      }
    }
    for (const b of touched) {
      column.push(b)
      value.push(dot[b]! / (norms[a]! * norms[b]!))
      dot[b] = 0
    }
    touched.length = 0
    rowStart[a + 1] = column.length
  }
  return { vectors, norms, termIds, idf, rowStart, column: Int32Array.from(column), value: Float64Array.from(value) }
}

function cosine(graph: Graph, a: number, b: number): number {
  let [small, large] = [graph.vectors[a]!, graph.vectors[b]!]
  if (small.size > large.size) [small, large] = [large, small]
  let dot = 0
  for (const [id, weight] of small) dot += weight * (large.get(id) ?? 0)
  return dot === 0 ? 0 : dot / (graph.norms[a]! * graph.norms[b]!)
}

/** Weighted PageRank; a sentence similar to nothing spreads its rank evenly, as in the original. */
function pageRank({ rowStart, column, value }: Graph, n: number): Float64Array {
  const transition = new Float64Array(value.length)
  for (let j = 0; j < n; j++) {
    let rowSum = 0
    for (let k = rowStart[j]!; k < rowStart[j + 1]!; k++) rowSum += value[k]!
    for (let k = rowStart[j]!; k < rowStart[j + 1]!; k++) transition[k] = value[k]! / rowSum
  }

  let rank = new Float64Array(n).fill(1 / n)
  let next = new Float64Array(n)
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    next.fill(0)
    let dangling = 0
    for (let j = 0; j < n; j++) {
      const r = rank[j]!
      const from = rowStart[j]!
      const to = rowStart[j + 1]!
      if (from === to) dangling += r
      for (let k = from; k < to; k++) next[column[k]!]! += transition[k]! * r
    }
    const base = (1 - DAMPING) / n + (DAMPING * dangling) / n
    let change = 0
    for (let i = 0; i < n; i++) {
      const updated = base + DAMPING * next[i]!
      change += Math.abs(updated - rank[i]!)
      next[i] = updated
    }
    ;[rank, next] = [next, rank]
    if (change < CONVERGENCE) break
  }
  return rank
}

/** Each sentence's summed similarity to the others, over the median sentence's, capped (see LEAD_TOPICALITY_CAP). */
function topicality({ rowStart, value }: Graph, n: number): Float64Array {
  const sums = new Float64Array(n)
  for (let i = 0; i < n; i++) for (let k = rowStart[i]!; k < rowStart[i + 1]!; k++) sums[i]! += value[k]!
  const median = Float64Array.from(sums).sort()[Math.floor(n / 2)]!
  return sums.map((sum) => (median > 0 ? Math.min(LEAD_TOPICALITY_CAP, sum / median) : sum > 0 ? LEAD_TOPICALITY_CAP : 0))
}

/** Share of the title's informative weight (by idf) that each sentence contains, 0..1. */
function titleOverlap(titleTokens: string[], { vectors, termIds, idf }: Graph): Float64Array {
  const shares = new Float64Array(vectors.length)
  const ids = [...new Set(titleTokens)]
    .map((token) => termIds.get(token))
    .filter((id): id is number => id !== undefined && idf[id]! > 0)
  const total = ids.reduce((sum, id) => sum + idf[id]!, 0)
  if (total === 0) return shares
  vectors.forEach((vector, i) => {
    shares[i] = ids.reduce((sum, id) => (vector.has(id) ? sum + idf[id]! : sum), 0) / total
  })
  return shares
}

function separatorAfter(sentence: string): string {
  return CJK_SENTENCE_END.test(sentence) ? '' : ' '
}

function joinedLength(texts: string[]): number {
  let length = 0
  texts.forEach((text, k) => {
    length += text.length
    if (k > 0) length += separatorAfter(texts[k - 1]!).length
  })
  return length
}

function join(texts: string[]): string {
  return texts.map((text, k) => (k < texts.length - 1 ? text + separatorAfter(text) : text)).join('')
}
