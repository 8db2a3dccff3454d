import { describe, expect, it } from 'vitest'
import { markdownHeader, markdownRow } from '../src/output/markdown.js'
import type { PageRecord } from '../src/record.js'

const base = {
  line: 7,
  url: 'https://example.com/a',
  finalUrl: 'https://example.com/a',
  title: 'Pipes | and [links]',
  lang: 'en',
  charset: null,
  pages: null,
  provider: 'extractive',
  model: 'extractive',
  timingsMs: { fetch: 1, extract: 1, summarize: 1, total: 3 },
} as const

describe('Markdown output', () => {
  it('writes one table row a page, escaping pipes, brackets and newlines so the table holds', () => {
    const row = markdownRow({ ...base, status: 'ok', summary: 'One | two\nthree <b>', truncated: false, usage: null, error: null } satisfies PageRecord)
    expect(markdownHeader()).toContain('| line | page | summary |')
    expect(row).toBe('| 7 | [Pipes \\| and \\[links\\]](https://example.com/a) | One \\| two three \\<b\\> |\n')
  })

  it('shows the error code and message for a failed page', () => {
    const row = markdownRow({ ...base, finalUrl: null, title: null, status: 'error', summary: null, truncated: false, usage: null, error: { code: 'INVALID_URL', message: 'line is not a URL', attempts: 1 } } satisfies PageRecord)
    expect(row).toBe('| 7 | https://example.com/a | **INVALID_URL**: line is not a URL |\n')
  })
})
