import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHTML } from 'linkedom'
import { describe, expect, it } from 'vitest'
import { extractiveSummary } from '../src/summarizers/extractive.js'
import { splitSentences } from '../src/text.js'
import { CORPUS_DIR } from './helpers/corpus.js'

/** A corpus page's main text (its expected extraction), title and language. */
function article(name: string): { text: string; title: string; lang: string } {
  const html = readFileSync(join(CORPUS_DIR, name, 'expected.html'), 'utf8')
  const meta = JSON.parse(readFileSync(join(CORPUS_DIR, name, 'expected-metadata.json'), 'utf8')) as { title?: string; lang?: string }
  const text = (parseHTML(html).document.documentElement.textContent ?? '').replace(/\s+/g, ' ').trim()
  return { text, title: meta.title ?? '', lang: meta.lang ?? 'en' }
}

describe('the offline summary keeps the lead', () => {
  // News articles whose first sentence is their lead: what happened, to whom, where.
  const leads: Record<string, string> = {
    'bbc-1': 'President Barack Obama has admitted',
    'wapo-1': 'CAIRO — Gunmen opened fire on visitors at Tunisia’s most renowned museum',
    'seattletimes-1': 'From the deck of his 106-year-old halibut schooner',
    'herald-sun-1': 'A new Bill would require telecommunications service providers',
    'salon-1': 'Horror stories about the increasingly unpopular taxi service Uber',
    'lemonde-1': 'Les députés ont, sans surprise, adopté à une large majorité',
    'liberation-1': 'Un troisième Français a été tué dans le tremblement de terre',
  }

  it.each(Object.entries(leads))('keeps the first sentence of %s, which is on topic', (name, lead) => {
    const { text, title, lang } = article(name)
    const first = splitSentences(text, lang).find((s) => s.startsWith(lead)) as string
    expect(first).toBeDefined()
    const summary = extractiveSummary(text, { maxChars: Math.max(300, first.length + 50), lang, title })
    expect(summary.startsWith(first)).toBe(true)
  })

  it('gives no lift to a first sentence that is a photo caption off the topic', () => {
    const { text, title, lang } = article('nytimes-1')
    const caption = 'Photo United Nations peacekeepers at a refugee camp in Sudan on Monday.'
    expect(text.startsWith(caption)).toBe(true)
    expect(extractiveSummary(text, { maxChars: 600, lang, title })).not.toContain(caption)
  })
})
