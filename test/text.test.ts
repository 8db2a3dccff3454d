import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHTML } from 'linkedom'
import { describe, expect, it } from 'vitest'
import { cutToBudget, fitToLength, segmentText, splitSentences } from '../src/text.js'
import { CORPUS_DIR } from './helpers/corpus.js'

function corpusText(name: string): string {
  const html = readFileSync(join(CORPUS_DIR, name, 'expected.html'), 'utf8')
  // expected.html is a fragment, so linkedom puts it outside <body>.
  return (parseHTML(html).document.documentElement.textContent ?? '').replace(/\s+/g, ' ').trim()
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** A fixed-seed generator, so a failing budget can be reproduced. */
function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('splitSentences', () => {
  it('splits English text into trimmed sentences', () => {
    expect(splitSentences('  The sky is blue.  Grass is green!   Is it?  ')).toEqual(['The sky is blue.', 'Grass is green!', 'Is it?'])
  })

  it('splits Japanese text at 。 without spaces', () => {
    expect(splitSentences('今日は晴れです。明日は雨でしょう。', 'ja')).toEqual(['今日は晴れです。', '明日は雨でしょう。'])
  })

  it('falls back to English rules for an invalid language tag', () => {
    expect(splitSentences('One fish. Two fish.', 'x!')).toEqual(['One fish.', 'Two fish.'])
  })

  it('keeps a citation mark with the sentence it follows', () => {
    expect(splitSentences('It was called Communicator.[4][5] The project was named later.')).toEqual([
      'It was called Communicator.[4][5]',
      'The project was named later.',
    ])
  })

  it('keeps an opening bracket with the sentence it opens', () => {
    expect(splitSentences('イヌは思いました。（そうだ、あいつを）そこでイヌは吠えました。', 'ja')).toEqual([
      'イヌは思いました。',
      '（そうだ、あいつを）そこでイヌは吠えました。',
    ])
  })

  it('does not end a sentence after a title such as Mr. or Dr.', () => {
    expect(splitSentences('The demand that Mr. Smith leave was made by Dr. Jones. Next.')).toEqual([
      'The demand that Mr. Smith leave was made by Dr. Jones.',
      'Next.',
    ])
  })

  it('returns no sentences for whitespace', () => {
    expect(splitSentences(' \n\t ')).toEqual([])
  })
})

describe('segmentText', () => {
  it('finds the same boundaries as Intl.Segmenter on long English and Japanese text', () => {
    const texts = [
      // Several chunks long, yet short enough for the native segmenter to finish quickly.
      { text: corpusText('wikipedia').slice(0, 12_000), lang: 'en' },
      { text: corpusText('hukumusume').repeat(8), lang: 'ja' },
    ]
    for (const { text, lang } of texts) {
      expect(text.length).toBeGreaterThan(5000)
      for (const granularity of ['sentence', 'word', 'grapheme'] as const) {
        const native = [...new Intl.Segmenter(lang, { granularity }).segment(text)].map((s) => [s.index, s.segment, s.isWordLike])
        const chunked = [...segmentText(text, granularity, lang)].map((s) => [s.index, s.segment, s.isWordLike])
        expect(chunked, `${lang} ${granularity}`).toEqual(native)
      }
    }
  })

  it('keeps a single segment longer than a chunk whole', () => {
    const word = 'a'.repeat(10_000)
    expect([...segmentText(`${word} b`, 'word')].map((s) => s.segment)).toEqual([word, ' ', 'b'])
  })

  it('splits a 400 KB text into words in well under a second', () => {
    // Node 20's segmenter alone takes tens of seconds on this input (time grows with the square of the length).
    const text = corpusText('wikipedia').repeat(14)
    expect(text.length).toBeGreaterThan(400_000)
    const started = performance.now()
    let words = 0
    for (const { isWordLike } of segmentText(text, 'word', 'en')) if (isWordLike === true) words++
    expect(words).toBeGreaterThan(50_000)
    expect(performance.now() - started).toBeLessThan(2_000)
  })
})

describe('fitToLength', () => {
  it('returns text that already fits unchanged', () => {
    const text = '  Short enough. '
    expect(fitToLength(text, text.length)).toEqual({ text, truncated: false })
  })

  it('keeps the whole English sentences that fit', () => {
    const text = 'The sky is blue. Grass is green. Snow is white and cold.'
    expect(fitToLength(text, 40)).toEqual({ text: 'The sky is blue. Grass is green.', truncated: true })
    expect(fitToLength(text, 31)).toEqual({ text: 'The sky is blue.', truncated: true })
  })

  it('keeps the whole Japanese sentences that fit', () => {
    const text = '今日は晴れです。明日は雨でしょう。週末は雪が降るかもしれません。'
    expect(fitToLength(text, 20, 'ja')).toEqual({ text: '今日は晴れです。明日は雨でしょう。', truncated: true })
  })

  it('cuts at a word boundary when not even the first sentence fits', () => {
    const text = 'Photovoltaic panels convert sunlight directly into electricity. More follows.'
    const fitted = fitToLength(text, 30)
    expect(fitted).toEqual({ text: 'Photovoltaic panels convert', truncated: true })
  })

  it('cuts at a grapheme when no sentence fits and there is no word boundary near the end', () => {
    const text = 'Supercalifragilisticexpialidocious is a word.'
    expect(fitToLength(text, 10)).toEqual({ text: 'Supercalif', truncated: true })
  })

  it('never splits a surrogate pair', () => {
    const text = '😀😀😀😀😀'
    expect(fitToLength(text, 5)).toEqual({ text: '😀😀', truncated: true })
  })

  it('never splits an emoji ZWJ sequence or a combining mark', () => {
    const family = '👨‍👩‍👧'
    expect(family.length).toBe(8)
    expect(fitToLength(family + family, 15)).toEqual({ text: family, truncated: true })
    expect(fitToLength(family + family, 7)).toEqual({ text: '', truncated: true })
    expect(fitToLength('e\u0301e\u0301e\u0301', 3)).toEqual({ text: 'e\u0301', truncated: true })
  })

  it('returns an empty string for a budget below one', () => {
    expect(fitToLength('Some text.', 0)).toEqual({ text: '', truncated: true })
  })

  it('stays within the budget for many random budgets over real text', () => {
    const random = mulberry32(42)
    for (const [name, lang] of [['wikipedia', 'en'], ['hukumusume', 'ja']] as const) {
      const text = corpusText(name)
      for (let k = 0; k < 300; k++) {
        const maxChars = 1 + Math.floor(random() * 600)
        const fitted = fitToLength(text, maxChars, lang)
        expect(fitted.text.length).toBeLessThanOrEqual(maxChars)
        expect(fitted.text).not.toBe('')
        expect(fitted.truncated).toBe(true)
        expect(text.startsWith(fitted.text)).toBe(true)
        expect(fitted.text).not.toMatch(LONE_SURROGATE)
      }
    }
  })
})

describe('cutToBudget', () => {
  it('cuts a long text at a sentence boundary within the input budget', () => {
    const text = Array.from({ length: 400 }, (_, i) => `Sentence number ${i} talks about the budget.`).join(' ')
    const cut = cutToBudget(text, 1000)
    expect(cut.length).toBeLessThanOrEqual(1000)
    expect(cut.length).toBeGreaterThan(900)
    expect(cut.endsWith('budget.')).toBe(true)
  })

  it('falls back to a word boundary when sentence marks are too sparse to keep most of the budget', () => {
    const text = `Short intro. ${Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ')}`
    const cut = cutToBudget(text, 1000)
    expect(cut.length).toBeLessThanOrEqual(1000)
    expect(cut.length).toBeGreaterThan(800)
    expect(cut).toMatch(/word\d+$/)
  })
})
