import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { analyzePage, type AnalyzeTask } from '../src/analyze.js'
import { ExtractiveSummarizer } from '../src/summarizers/extractive.js'

// Two real PDFs, public domain (test/fixtures/pdf/README.md).
const fixture = (name: string): AnalyzeTask => ({
  url: `http://fixtures.test/${name}`,
  body: readFileSync(new URL(`./fixtures/pdf/${name}`, import.meta.url)),
  contentType: 'application/pdf',
  headerCharset: undefined,
  maxChars: 300,
  maxInputChars: 12_000,
})

describe('real PDFs', () => {
  it('reads the IRS Form W-4, encrypted with an owner password only: its title, language and both pages', async () => {
    const outcome = await analyzePage(fixture('irs-form-w4-2012.pdf'), new ExtractiveSummarizer())
    expect(outcome).toMatchObject({ status: 'ok', title: 'Form W-4 (2012)', lang: 'en', charset: null, pages: { total: 2, read: 2 } })
    expect(outcome.status === 'ok' && outcome.summary).toMatch(/withholding|allowance/i)
  }, 60_000)

  it('reads the OCR text layer of a scanned patent page', async () => {
    const outcome = await analyzePage(fixture('us-patent-6205527-page1.pdf'), new ExtractiveSummarizer())
    expect(outcome).toMatchObject({ status: 'ok', lang: 'en', pages: { total: 1, read: 1 } })
    expect(outcome.status === 'ok' && outcome.summary).toMatch(/United States Patent|backup/i)
  }, 60_000)
})
