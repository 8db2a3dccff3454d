import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHTML } from 'linkedom'
import { describe, expect, it } from 'vitest'
import { ExtractiveSummarizer, extractiveSummary } from '../src/summarizers/extractive.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'

function corpusText(name: string): string {
  const html = readFileSync(join(CORPUS_DIR, name, 'expected.html'), 'utf8')
  // expected.html is a fragment, so linkedom puts it outside <body>.
  return (parseHTML(html).document.documentElement.textContent ?? '').replace(/\s+/g, ' ').trim()
}

const SOLAR = [
  "My grandmother's parrot refuses to eat sunflower seeds on Tuesdays.",
  'Solar panels convert sunlight into electricity for homes.',
  'Rooftop solar panels lower the electricity bills of many homes.',
  'Cheaper solar panels mean more homes generate their own electricity.',
  'Electricity from solar panels can be stored in home batteries.',
  'Utilities now buy surplus electricity from homes with solar panels.',
]

/** Each sentence of the summary is found in the text after the previous one. */
function inDocumentOrder(summary: string, sentences: string[]): boolean {
  const positions = sentences.filter((s) => summary.includes(s)).map((s) => sentences.indexOf(s))
  return positions.length > 0 && positions.every((p, k) => k === 0 || p > positions[k - 1]!)
}

describe('extractiveSummary', () => {
  const pages = [
    { name: 'wikipedia', lang: 'en' },
    { name: 'hukumusume', lang: 'ja' },
  ]
  for (const { name, lang } of pages) {
    it(`stays within maxChars on the ${name} page (${lang})`, () => {
      const text = corpusText(name)
      for (const maxChars of [40, 80, 150, 300, 1000]) {
        const summary = extractiveSummary(text, { maxChars, lang })
        expect(summary.length).toBeLessThanOrEqual(maxChars)
        expect(summary).not.toBe('')
      }
    })
  }

  it('gives the same summary for the same input', () => {
    const text = corpusText('wikipedia')
    const options = { maxChars: 300, lang: 'en', title: 'Mozilla - Wikipedia' }
    expect(extractiveSummary(text, options)).toBe(extractiveSummary(text, options))
  })

  it('picks sentences central to the topic rather than the off-topic first one', () => {
    const summary = extractiveSummary(SOLAR.join(' '), { maxChars: 130 })
    expect(summary).not.toBe('')
    expect(summary).not.toContain('parrot')
    expect(summary).toMatch(/solar panels/)
  })

  it('keeps the chosen sentences in document order', () => {
    const text = SOLAR.join(' ')
    const summary = extractiveSummary(text, { maxChars: 200 })
    expect(summary.split('. ').length).toBeGreaterThan(1)
    expect(inDocumentOrder(summary, SOLAR)).toBe(true)
  })

  it('keeps the chosen sentences of a real page in document order', () => {
    const text = corpusText('wikipedia')
    const summary = extractiveSummary(text, { maxChars: 1000, lang: 'en' })
    let from = 0
    for (const sentence of summary.split(/(?<=[.!?\]])\s+(?=[A-Z])/)) {
      const at = text.indexOf(sentence, from)
      expect(at, sentence).toBeGreaterThanOrEqual(0)
      from = at + sentence.length
    }
  })

  it('joins Japanese sentences without spaces', () => {
    const summary = extractiveSummary(corpusText('hukumusume'), { maxChars: 300, lang: 'ja' })
    expect(summary).toMatch(/。[^\s]/)
    expect(summary).not.toMatch(/。 /)
  })

  it('returns an empty summary for empty or whitespace text', () => {
    expect(extractiveSummary('', { maxChars: 100 })).toBe('')
    expect(extractiveSummary(' \n\t  ', { maxChars: 100 })).toBe('')
  })

  it('cuts the best sentence when no whole sentence fits', () => {
    const summary = extractiveSummary(SOLAR.join(' '), { maxChars: 25 })
    expect(summary.length).toBeLessThanOrEqual(25)
    expect(summary).not.toBe('')
    expect(SOLAR.some((s) => s.startsWith(summary))).toBe(true)
  })

  it('gives every corpus page a non-empty summary within 150 characters', () => {
    const names = corpusPageNames()
    expect(names.length).toBe(90)
    for (const name of names) {
      const summary = extractiveSummary(corpusText(name), { maxChars: 150 })
      expect(summary, name).not.toBe('')
      expect(summary.length, name).toBeLessThanOrEqual(150)
    }
  })
})

describe('ExtractiveSummarizer', () => {
  it('reports the extractive model, no token usage and one attempt', async () => {
    const summarizer = new ExtractiveSummarizer()
    const result = await summarizer.summarize({ text: SOLAR.join(' '), title: 'Solar panels', lang: 'en', maxChars: 130 })
    expect(result).toEqual({ summary: extractiveSummary(SOLAR.join(' '), { maxChars: 130, title: 'Solar panels', lang: 'en' }), model: 'extractive', usage: null, attempts: 1 })
    expect(summarizer.provider).toBe('extractive')
    await summarizer.close()
  })

  it('rejects with an AbortError when the signal is already aborted', async () => {
    const summarizer = new ExtractiveSummarizer()
    const request = { text: SOLAR.join(' '), title: '', lang: '', maxChars: 130 }
    await expect(summarizer.summarize(request, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' })
  })
})
