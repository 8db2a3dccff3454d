import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extractPdf } from '../src/extract/pdf.js'
import type { PageRecord } from '../src/record.js'
import { runLines } from './helpers/run.js'
import { startServer, type TestServer } from './helpers/servers.js'

// Four real PDFs (test/fixtures/pdf/README.md for where each comes from and why it may be
// copied), served by a local server and summarised by the real pipeline on the pool strategy.
const FIXTURES = ['irs-form-w4-2012.pdf', 'us-patent-6205527-page1.pdf', 'naacl-2018-literature-graph.pdf', 'huckleberry-finn-1884-page-scan.pdf']
const bytes = (name: string): Buffer => readFileSync(new URL(`./fixtures/pdf/${name}`, import.meta.url))

let server: TestServer
let records: PageRecord[]

beforeAll(async () => {
  server = await startServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.slice(1)
    if (!FIXTURES.includes(name)) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/pdf' }).end(bytes(name))
  })
  // An input budget larger than the paper's text: every page is read.
  ;({ records } = await runLines(FIXTURES.map((name) => `${server.url}/${name}`), { strategy: 'pool', threads: 2, concurrency: 4, maxChars: 300, maxInputChars: 100_000 }))
}, 120_000)

afterAll(() => server?.close())

function recordOf(name: string): PageRecord {
  const record = records.find((r) => r.url === `${server.url}/${name}`)
  if (record === undefined) throw new Error(`no record for ${name}`)
  return record
}

describe('real PDFs', () => {
  it('reads the IRS Form W-4, encrypted with an owner password only: its title, language and both pages', () => {
    const record = recordOf('irs-form-w4-2012.pdf')
    expect(record, JSON.stringify(record.error)).toMatchObject({ status: 'ok', title: 'Form W-4 (2012)', lang: 'en', charset: null, pages: { total: 2, read: 2 } })
    expect(record.summary).toMatch(/withholding|allowance/i)
  })

  it('reads the OCR text layer of a scanned patent page', () => {
    const record = recordOf('us-patent-6205527-page1.pdf')
    expect(record, JSON.stringify(record.error)).toMatchObject({ status: 'ok', lang: 'en', pages: { total: 1, read: 1 } })
    expect(record.summary).toMatch(/United States Patent|backup/i)
  })

  it('reads a two-column research paper: its title, its language and all eight pages', () => {
    const record = recordOf('naacl-2018-literature-graph.pdf')
    expect(record, JSON.stringify(record.error)).toMatchObject({
      status: 'ok',
      title: 'Construction of the Literature Graph in Semantic Scholar',
      lang: 'en',
      charset: null,
      pages: { total: 8, read: 8 },
    })
    expect(record.summary).toMatch(/literature graph|scientific|papers/i)
  })

  it("reads the paper's text in reading order: sentences whole across line breaks, each column top to bottom, page 2 after page 1", async () => {
    // The record holds only a summary: the whole text is what the pool's worker extracts from these bytes.
    const { text } = await extractPdf(bytes('naacl-2018-literature-graph.pdf'), { maxChars: 1_000_000 })
    // Page 1, left column: the abstract's first sentence, over seven lines, three words hyphenated at a line end.
    const abstract = 'We describe a deployed scalable system for organizing published scientific literature into a heterogeneous graph to facilitate algorithmic manipulation and discovery.'
    // Page 1, left column below the abstract, over three lines.
    const intro = 'Despite notable advances in scientific search engines, data mining and digital libraries (e.g., Wu et al., 2014), researchers remain unable to answer simple questions such as:'
    // Page 1, right column, over four lines ("an-swer" hyphenated).
    const rightColumn = 'The literature graph is a directed property graph which summarizes key information in the literature and can be used to answer the queries mentioned earlier as well as more complex queries.'
    // The last words of page 1 (right column, foot) and the first of page 2 (left column, top).
    const endOfPage1 = 'such as CoNLL-2003 and ACE-2005 (e.g., Lample et al.,'
    const startOfPage2 = '2016), and assume that entity types in the test set match those labeled in the training set'
    const section2 = '2 Structure of The Literature Graph The literature graph is a property graph with directed edges.'
    const order = [abstract, intro, rightColumn, endOfPage1, startOfPage2, section2].map((sentence) => {
      expect(text).toContain(sentence)
      return text.indexOf(sentence)
    })
    expect(order).toEqual([...order].sort((a, b) => a - b))
  })

  it('calls a scanned page with no text layer NO_TEXT, saying so and what would help', () => {
    const record = recordOf('huckleberry-finn-1884-page-scan.pdf')
    expect(record).toMatchObject({ status: 'error', summary: null, pages: { total: 1, read: 1 } })
    expect(record.error).toMatchObject({ code: 'NO_TEXT', message: expect.stringContaining('has no text layer'), hint: expect.stringContaining('OCR') })
  })
})
