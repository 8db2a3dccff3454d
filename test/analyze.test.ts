import { describe, expect, it } from 'vitest'
import { analyzePage, type AnalyzeTask } from '../src/analyze.js'
import { ExtractiveSummarizer } from '../src/summarizers/extractive.js'

const summarizer = new ExtractiveSummarizer()

function task(html: string, overrides: Partial<AnalyzeTask> = {}): AnalyzeTask {
  return { url: 'http://127.0.0.1/page', body: new TextEncoder().encode(html), contentType: 'text/html', headerCharset: undefined, maxChars: 150, maxInputChars: 12_000, ...overrides }
}

const article = '<html lang="en"><head><title>Quick foxes</title></head><body><article><p>The quick brown fox jumps over the lazy dog near the river bank today. Foxes are quick animals that jump over many lazy dogs every day.</p></article></body></html>'

describe('analyzePage, the step every strategy shares', () => {
  it('cuts a summary longer than maxChars and says so in the outcome', async () => {
    const outcome = await analyzePage(task(article, { maxChars: 20 }), summarizer)
    expect(outcome).toMatchObject({ status: 'ok', truncated: true, title: 'Quick foxes', lang: 'en' })
    expect(outcome.status === 'ok' && outcome.summary.length).toBeLessThanOrEqual(20)
    expect(outcome.status === 'ok' && outcome.summary.length).toBeGreaterThan(0)
  })

  it('leaves a summary that fits alone, marked not truncated', async () => {
    const outcome = await analyzePage(task(article, { maxChars: 400 }), summarizer)
    expect(outcome).toMatchObject({ status: 'ok', truncated: false })
  })

  it('sends at most maxInputChars of a long page to the summarizer', async () => {
    let seen = 0
    const spy = { provider: 'extractive' as const, close: async () => {}, summarize: async (req: { text: string }) => ((seen = req.text.length), { summary: 'ok.', model: 'x', usage: null, attempts: 1 }) }
    const long = `<html><body><article>${'<p>This sentence is part of a very long page. </p>'.repeat(2000)}</article></body></html>`
    await analyzePage(task(long, { maxInputChars: 1000 }), spy)
    expect(seen).toBeGreaterThan(800)
    expect(seen).toBeLessThanOrEqual(1000)
  })

  it('reports a page of zero-width characters as NO_TEXT instead of summarizing it', async () => {
    const outcome = await analyzePage(task('<html><body><p>&#8203;&#8203; &zwnj; &nbsp;</p></body></html>'), summarizer)
    expect(outcome).toMatchObject({ status: 'error', error: { code: 'NO_TEXT' } })
  })
})
