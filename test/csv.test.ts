import { describe, expect, it } from 'vitest'
import { csvCell, csvHeader, csvRow } from '../src/output/csv.js'
import type { PageRecord } from '../src/record.js'

const ok: PageRecord = {
  line: 3,
  url: 'https://example.com/a',
  finalUrl: 'https://example.com/a/',
  status: 'ok',
  title: 'Quotes "and", commas',
  lang: 'ja',
  charset: { name: 'shift_jis', source: 'guessed' },
  pages: null,
  summary: '=HYPERLINK("http://evil")\nsecond line',
  truncated: true,
  provider: 'bedrock',
  model: 'anthropic.claude-3-haiku-20240307-v1:0',
  usage: { inputTokens: 812, outputTokens: 96 },
  timingsMs: { fetch: 120, extract: 9, summarize: 2300, total: 2431 },
  error: null,
}

describe('CSV output', () => {
  it('defuses cells a spreadsheet would run as a formula', () => {
    for (const text of ['=1+1', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(csvCell(text).replace(/^"/, '')).toMatch(/^'/)
    }
    expect(csvCell('plain text')).toBe('plain text')
    expect(csvCell(-5)).toBe('-5')
  })

  it('quotes cells with commas, quotes and newlines, doubling the quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('two\nlines')).toBe('"two\nlines"')
  })

  it('flattens a record into the header columns, one CRLF-terminated row', () => {
    const header = csvHeader().trimEnd().split(',')
    const row = csvRow(ok)
    expect(row.endsWith('\r\n')).toBe(true)
    expect(header).toContain('inputTokens')
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")\nsecond line"`)
    expect(row.startsWith('3,https://example.com/a,https://example.com/a/,ok,"Quotes ""and"", commas",ja,shift_jis,guessed,,,')).toBe(true)
    expect(row).toContain(',812,96,120,9,2300,2431,,,')
  })

  it('puts the error code, message, attempts and hint of a failed page in their columns', () => {
    const failed: PageRecord = { ...ok, status: 'error', summary: null, truncated: false, usage: null, error: { code: 'HTTP_STATUS', message: 'HTTP 404 Not Found', attempts: 1 } }
    expect(csvRow(failed).trimEnd().endsWith(',HTTP_STATUS,HTTP 404 Not Found,1,')).toBe(true)
    const hinted: PageRecord = { ...failed, error: { code: 'TOO_LARGE', message: 'body larger than the 5 MiB limit', attempts: 1, hint: 'raise --max-page-bytes' } }
    expect(csvRow(hinted).trimEnd().endsWith(',TOO_LARGE,body larger than the 5 MiB limit,1,raise --max-page-bytes')).toBe(true)
  })
})
