export type Granularity = 'grapheme' | 'word' | 'sentence'

/** One segment of a text, with `index` into the whole text (not into an internal chunk). */
export interface Segment {
  segment: string
  index: number
  /** Only set for `word` granularity. */
  isWordLike: boolean | undefined
}

export interface Fitted {
  text: string
  /** True when `text` is shorter than the input because the input did not fit. */
  truncated: boolean
}

const DEFAULT_LANG = 'en'
/** Pages declare arbitrary `lang` values; a bound keeps a long run from growing the cache forever. */
const SEGMENTER_CACHE_LIMIT = 64
/**
 * Node 20's V8 segmenter costs time proportional to the whole input for every segment it
 * returns, so a 100 KB page takes seconds to split into words
 * (https://issues.chromium.org/issues/326176949, fixed in later V8). Feeding it bounded
 * chunks keeps segmentation linear.
 */
const CHUNK_CHARS = 2048
/**
 * A boundary is only trusted when this much text follows it inside the chunk: sentence rules
 * look ahead past closing punctuation and spaces, and the CJK dictionary looks at whole runs.
 */
const CHUNK_LOOKAHEAD_CHARS = 256
/** When a cut falls mid-sentence, a word boundary is preferred if it keeps at least this share of the budget. */
const WORD_CUT_MIN_SHARE = 0.8

const segmenters = new Map<string, Intl.Segmenter>()

/**
 * Constructing a segmenter loads ICU break rules (and for `ja`, `zh`, `th` a dictionary),
 * which costs more than segmenting a page, so they are cached. An empty or invalid tag
 * (`x!`) falls back to English rules instead of throwing.
 */
function getSegmenter(lang: string | undefined, granularity: Granularity): Intl.Segmenter {
  const tag = (lang ?? '').trim().replaceAll('_', '-') || DEFAULT_LANG
  const key = `${granularity}:${tag}`
  let segmenter = segmenters.get(key)
  if (segmenter === undefined) {
    try {
      segmenter = new Intl.Segmenter(tag, { granularity })
    } catch {
      segmenter = getSegmenter(DEFAULT_LANG, granularity)
    }
    if (segmenters.size >= SEGMENTER_CACHE_LIMIT) segmenters.clear()
    segmenters.set(key, segmenter)
  }
  return segmenter
}

/**
 * `Intl.Segmenter#segment` in linear time on long texts (see CHUNK_CHARS), lazily: a caller
 * that stops early pays only for what it read.
 */
export function* segmentText(text: string, granularity: Granularity, lang?: string): Generator<Segment> {
  const segmenter = getSegmenter(lang, granularity)
  let start = 0
  let size = CHUNK_CHARS
  while (start < text.length) {
    let end = Math.min(text.length, start + size)
    const final = end === text.length
    if (!final && isHighSurrogate(text.charCodeAt(end - 1))) end--
    const chunk = text.slice(start, end)
    const trusted = final ? chunk.length : chunk.length - CHUNK_LOOKAHEAD_CHARS
    let next = end
    for (const { segment, index, isWordLike } of segmenter.segment(chunk)) {
      if (index + segment.length > trusted) {
        next = start + index
        break
      }
      yield { segment, index: start + index, isWordLike }
    }
    // A single segment longer than the chunk: widen until it fits (doubling keeps this linear).
    size = next === start ? size * 2 : CHUNK_CHARS
    start = next
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

const OPEN_PUNCTUATION_END = /\p{Ps}+$/u
/** Short bracketed groups right after a sentence end, like Wikipedia's `[4][5]`. */
const TRAILING_BRACKETS = /^(?:\p{Ps}[^\p{Ps}\p{Pe}]{1,24}\p{Pe})+(?=\s|$)/u
/**
 * Titles that are followed by a capitalised name. ICU's suppression lists (`-u-ss-standard`)
 * are not reachable through Intl.Segmenter, so `Mr. Smith` would otherwise end a sentence.
 */
const TITLE_ABBREVIATION_END = /(?:^|[\s(])(?:Mr|Mrs|Ms|Mx|Dr|Prof|Sr|Jr|St|Mt|Gen|Gov|Sen|Rep|Rev|Hon|Pres|Capt|Lt|Col|Sgt|Cmdr|Adm|Fr|vs|cf)\.$/u
/** How much of a sentence's end the repairs look at: more than any title above plus the character before it. */
const SENTENCE_TAIL_CHARS = 8

/**
 * Sentences as [start, end) spans of `text`, trimmed and non-empty.
 *
 * ICU counts opening brackets as sentence-closing punctuation, so `Communicator.[4] The`
 * splits as `Communicator.[` / `4] The`, and `思いました。（そうだ）` as `思いました。（` /
 * `そうだ）`. The opening bracket is moved to the sentence it opens, and a short bracket
 * group followed by a space (a citation mark) back to the sentence it annotates. A break
 * after a title (`Dr.`) is undone.
 */
function* sentenceSpans(text: string, lang: string | undefined): Generator<[number, number]> {
  let pending: [number, number] | undefined
  for (const { segment, index } of segmentText(text, 'sentence', lang)) {
    const trimmedStart = segment.trimStart()
    const start = index + segment.length - trimmedStart.length
    const end = start + trimmedStart.trimEnd().length
    if (end === start) continue
    if (pending === undefined) {
      pending = [start, end]
      continue
    }
    let current: [number, number] = [start, end]
    const opening = OPEN_PUNCTUATION_END.exec(tail(text, pending))
    if (opening !== null) {
      const openAt = pending[1] - opening[0].length
      current = [openAt, end]
      pending[1] = openAt
      const brackets = TRAILING_BRACKETS.exec(text.slice(openAt, end))
      if (brackets !== null && openAt > pending[0]) {
        pending[1] = openAt + brackets[0].length
        const rest = text.slice(pending[1], end)
        current = [end - rest.trimStart().length, end]
      }
    }
    if (current[1] > current[0] && TITLE_ABBREVIATION_END.test(tail(text, pending))) {
      pending[1] = current[1]
      continue
    }
    if (pending[1] > pending[0]) yield pending
    pending = current[1] > current[0] ? current : undefined
  }
  if (pending !== undefined) yield pending
}

function tail(text: string, [start, end]: [number, number]): string {
  return text.slice(Math.max(start, end - SENTENCE_TAIL_CHARS), end)
}

/** Sentences of `text`, trimmed, lazily; empty ones are dropped. */
export function* iterateSentences(text: string, lang?: string): Generator<string> {
  for (const [start, end] of sentenceSpans(text, lang)) yield text.slice(start, end)
}

/** Uses `Intl.Segmenter(lang || 'en', { granularity: 'sentence' })`, English rules for an invalid tag. */
export function splitSentences(text: string, lang?: string): string[] {
  return [...iterateSentences(text, lang)]
}

/**
 * Cuts `text` to at most `maxChars` UTF-16 code units (String#length), which is never less
 * than the count of code points, so the result fits any checker's notion of "characters".
 * Keeps as many whole sentences from the start as fit; when not even the first fits, cuts
 * it at a word or grapheme boundary, so no surrogate pair, emoji sequence or combining mark
 * is split. Appends nothing (an ellipsis would cost length).
 */
export function fitToLength(text: string, maxChars: number, lang?: string): Fitted {
  if (text.length <= maxChars) return { text, truncated: false }
  const budget = Math.floor(maxChars)
  if (!(budget >= 1)) return { text: '', truncated: true }

  let first: [number, number] | undefined
  let fitEnd = 0
  for (const [start, end] of sentenceSpans(text, lang)) {
    first ??= [start, end]
    if (end - first[0] > budget) break
    fitEnd = end
  }
  if (first === undefined) return { text: '', truncated: true }
  if (fitEnd > 0) return { text: text.slice(first[0], fitEnd), truncated: true }
  return { text: cutSentence(text.slice(first[0], first[1]), budget, lang), truncated: true }
}

/** `sentence` starts with non-space and is longer than `budget`. */
function cutSentence(sentence: string, budget: number, lang: string | undefined): string {
  let graphemeEnd = 0
  for (const { segment, index } of segmentText(sentence, 'grapheme', lang)) {
    const end = index + segment.length
    if (end > budget) break
    graphemeEnd = end
  }
  if (graphemeEnd === 0) return ''

  // Word boundaries never fall inside a grapheme cluster (UAX #29 WB4), so ending on a
  // word's end is as safe as ending on a grapheme.
  let wordEnd = 0
  for (const { segment, index, isWordLike } of segmentText(sentence, 'word', lang)) {
    const end = index + segment.length
    if (end > graphemeEnd) break
    if (isWordLike === true) wordEnd = end
  }
  const cut = wordEnd >= budget * WORD_CUT_MIN_SHARE ? wordEnd : graphemeEnd
  return sentence.slice(0, cut).trimEnd()
}

/**
 * Cuts a page's text to the model's input budget. At a sentence boundary when that keeps
 * most of the budget; otherwise at a word boundary, so a page with few sentence marks (a
 * list, a table, a forum dump) is not cut down to its first sentence.
 */
export function cutToBudget(text: string, maxChars: number, lang?: string): string {
  if (text.length <= maxChars) return text
  // Segmenting the whole text to keep its first maxChars would waste most of the time.
  const head = text.slice(0, maxChars + CHUNK_LOOKAHEAD_CHARS)
  const bySentence = fitToLength(head, maxChars, lang).text
  if (bySentence.length >= maxChars * WORD_CUT_MIN_SHARE) return bySentence
  return cutSentence(head, maxChars, lang)
}
