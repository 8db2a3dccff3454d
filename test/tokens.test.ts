import { describe, expect, it } from 'vitest'
import { cutToTokens, estimateTokens } from '../src/tokens.js'

describe('estimateTokens', () => {
  it('counts about four Latin characters a token, rounding up', () => {
    expect(estimateTokens('')).toBe(0)
    expect(estimateTokens('abcd')).toBe(1)
    expect(estimateTokens('abcde')).toBe(2)
    expect(estimateTokens('The harbour moved grain.')).toBe(6) // 24 characters
  })

  it('counts a token for every Chinese, Japanese, Korean and Thai character', () => {
    expect(estimateTokens('東京')).toBe(2)
    expect(estimateTokens('ひらがなカタカナ')).toBe(8)
    expect(estimateTokens('한국어')).toBe(3)
    expect(estimateTokens('ภาษาไทย')).toBe(7)
  })

  it('counts CJK punctuation and fullwidth forms as dense too', () => {
    expect(estimateTokens('「。」')).toBe(3)
    expect(estimateTokens('ＡＢＣ！')).toBe(4)
  })

  it('counts an astral character once, not once per UTF-16 unit', () => {
    expect(estimateTokens('😀😀😀😀')).toBe(1)
    expect(estimateTokens('𠮷')).toBe(1)
  })
})

describe('cutToTokens', () => {
  it('keeps the longest prefix within the estimate and drops trailing whitespace', () => {
    expect(cutToTokens('abcd efgh ijkl', 2)).toBe('abcd efg')
    expect(cutToTokens('東京タワー', 3)).toBe('東京タ')
    expect(cutToTokens('short', 100)).toBe('short')
    expect(estimateTokens(cutToTokens('a mixed 日本語 text', 4))).toBeLessThanOrEqual(4)
  })

  it('never splits a surrogate pair', () => {
    expect(cutToTokens('😀😀😀😀😀', 1)).toBe('😀😀😀😀')
  })
})
