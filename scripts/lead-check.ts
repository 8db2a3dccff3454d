// How often the offline summarizer keeps a news page's first sentence: the corpus's news
// pages (their expected main text), summaries of 300 and 600 characters.
// Run: npx tsx scripts/lead-check.ts
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHTML } from 'linkedom'
import { extractiveSummary } from '../src/summarizers/extractive.js'
import { splitSentences } from '../src/text.js'

const DIR = new URL('../test/fixtures/corpus/', import.meta.url).pathname
export const NEWS_PAGES = ['bbc-1', 'nytimes-1', 'nytimes-2', 'wapo-1', 'seattletimes-1', 'herald-sun-1', 'tmz-1', 'yahoo-2', 'lemonde-1', 'medicalnewstoday', 'breitbart', 'salon-1', 'msn', 'cnet', 'theverge', 'liberation-1', 'folha', 'la-nacion', 'aktualne', 'heise', 'buzzfeed-1', 'ars-1', 'quanta-1', 'yahoo-1', 'yahoo-3']

let kept = 0
for (const name of NEWS_PAGES) {
  const html = readFileSync(join(DIR, name, 'expected.html'), 'utf8')
  const meta = JSON.parse(readFileSync(join(DIR, name, 'expected-metadata.json'), 'utf8')) as { title?: string; lang?: string }
  const text = (parseHTML(html).document.documentElement.textContent ?? '').replace(/\s+/g, ' ').trim()
  const lang = meta.lang ?? 'en'
  // The first sentence of six words or more: shorter ones are bylines and datelines.
  const first = splitSentences(text, lang).find((s) => s.split(' ').length >= 6) ?? ''
  const hit = [300, 600].some((maxChars) => extractiveSummary(text, { maxChars, lang, title: meta.title ?? '' }).includes(first))
  kept += Number(hit)
  console.log(`${name.padEnd(18)} ${hit ? 'kept' : 'left'}  ${first.slice(0, 100)}`)
}
console.log(`first sentence kept in ${kept} of ${NEWS_PAGES.length} news pages`)
