import { iterateSentences, segmentText } from '../text.js'

/*
 * The sentences of a page the extractive summarizer ranks: those that read as prose (not
 * menus, captions, references), each with its words.
 */

/** Ranking is O(n²) in sentences; the opening of a long page carries its topic anyway. */
const MAX_SENTENCES = 300
/** Shorter sentences are mostly navigation, captions and bylines ("Share this", "Photo: AP"). */
const MIN_WORDS = 3
/** Japanese and Chinese segment into many short words, so a length floor filters fragments better. */
const MIN_CJK_CHARS = 8
const LETTER = /\p{L}/u
const CJK_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u
/** Scripts written without spaces between words, which only ICU's dictionaries can split. */
const NEEDS_DICTIONARY = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u
/** What the word segmenter calls word-like, for space-separated scripts: `don't`, `h.264` and `1,000` stay whole. */
const WORD = /[\p{L}\p{M}\p{N}]+(?:['’.,][\p{L}\p{M}\p{N}]+)*/gu
/** Breadcrumbs and menus flattened into text: `Home > News > World`, `日本語 ←→ English`. */
const MENU_SEPARATOR = /(?:^|\s)[|>»›•·←→/]+(?=\s|$)/gu
const MAX_MENU_SEPARATORS = 1
/** CJK prose has no spaces between phrases; a "sentence" of many space-separated pieces is a list of links. */
const MAX_CJK_SPACES = 3

export interface Sentence {
  text: string
  tokens: string[]
}

export function tokenize(text: string, lang: string | undefined): string[] {
  // The segmenter costs about a microsecond per segment on Node 20, ten times this regex;
  // only scripts written without spaces need its dictionaries.
  if (!NEEDS_DICTIONARY.test(text)) return Array.from(text.matchAll(WORD), ([word]) => word.toLowerCase())
  const tokens: string[] = []
  for (const { segment, isWordLike } of segmentText(text, 'word', lang)) {
    if (isWordLike === true) tokens.push(segment.toLowerCase())
  }
  return tokens
}

export function candidateSentences(text: string, lang: string | undefined): Sentence[] {
  const kept: Sentence[] = []
  const rejected: Sentence[] = []
  for (const sentence of iterateSentences(text, lang)) {
    const tokens = tokenize(sentence, lang)
    if (looksLikeProse(sentence, tokens)) {
      kept.push({ text: sentence, tokens })
      if (kept.length === MAX_SENTENCES) break
    } else if (rejected.length < MAX_SENTENCES) {
      rejected.push({ text: sentence, tokens })
    }
  }
  // Nothing looks like prose (a page of short items): rank what there is rather than give up.
  return kept.length > 0 ? kept : rejected
}

export function looksLikeProse(sentence: string, tokens: string[]): boolean {
  // Words, not numbers: "Retrieved 2012-08-18." is a reference, not a sentence of the page.
  if (tokens.filter((token) => LETTER.test(token)).length < MIN_WORDS) return false
  if ((sentence.match(MENU_SEPARATOR)?.length ?? 0) > MAX_MENU_SEPARATORS) return false
  if (!CJK_CHAR.test(sentence)) return true
  return sentence.length >= MIN_CJK_CHARS && (sentence.match(/\s+/gu)?.length ?? 0) <= MAX_CJK_SPACES
}
