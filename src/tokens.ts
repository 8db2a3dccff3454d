/**
 * The one token estimate, used where no tokenizer is at hand: the client plans its tokens-per-
 * minute quota with it, and the emulator bills with it. Close to real tokenizers on average:
 * about 4 characters a token in Latin scripts, and about one a character in scripts written
 * without spaces (Chinese, Japanese, Korean, Thai), their punctuation and fullwidth forms
 * included. Counted by code point, so an astral character is one character, not two.
 */

/** Characters that cost about a token each: CJK and Thai letters, CJK punctuation (U+3000–303F), halfwidth and fullwidth forms (U+FF00–FFEF). */
const DENSE_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\u3000-\u303f\uff00-\uffef]/u

/** Whether `char` (one code point) costs about a whole token. */
export function isDenseChar(char: string): boolean {
  return DENSE_CHAR.test(char)
}

/** 1 for a dense character, a quarter otherwise: quarters add up exactly in binary floating point. */
function tokenCost(char: string): number {
  return isDenseChar(char) ? 1 : 0.25
}

export function estimateTokens(text: string): number {
  let tokens = 0
  for (const char of text) tokens += tokenCost(char)
  return Math.ceil(tokens)
}

/** The longest prefix of `text` whose estimate is at most `maxTokens`, trailing whitespace removed. */
export function cutToTokens(text: string, maxTokens: number): string {
  let tokens = 0
  let end = 0
  for (const char of text) {
    tokens += tokenCost(char)
    if (tokens > maxTokens) break
    end += char.length
  }
  return text.slice(0, end).trimEnd()
}
