import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import type { InputItem } from '../src/input/item.js'
import { openReader } from '../src/input/open.js'
import { tableHint } from '../src/input/table-hint.js'

const stdin = Readable.from([''])

async function items(text: string, format: 'csv' | 'tsv' | 'jsonl', urlColumn?: string): Promise<InputItem[]> {
  const reader = await openReader(Readable.from([Buffer.from(text)]), stdin, { format, urlColumn })
  const all: InputItem[] = []
  for await (const item of reader.items()) all.push(item)
  return all
}

describe('the table readers', () => {
  it('CSV: a row with another number of fields is an INVALID_ROW record naming it, and the rows after it are read', async () => {
    const rows = await items('url,n\nhttp://a/,1\nhttp://b/,2,extra\nhttp://c/,3\n', 'csv')
    expect(rows.map((r) => [r.line, r.url, r.error?.code ?? 'ok'])).toEqual([
      [1, 'http://a/', 'ok'],
      [2, 'http://b/', 'INVALID_ROW'],
      [3, 'http://c/', 'ok'],
    ])
    expect(rows[1]?.error?.message).toBe('row 2 has 3 fields, the header has 2: a quote or a comma is missing or extra')
  })

  it('CSV: an unclosed quote is a usage error naming the file; a header naming a column twice too', async () => {
    await expect(items('url,n\nhttp://a/,"open\n', 'csv')).rejects.toThrow(/cannot parse `stdin` as CSV: a quote in row 1 \(the header not counted\) is never closed/)
    // The row the quote opened in, not the line csv-parse stopped at (the end of the file).
    await expect(items('url,n\nhttp://a/,1\nhttp://b/,"open\nhttp://c/,3\nhttp://d/,4\n', 'csv')).rejects.toThrow(/a quote in row 2 \(the header not counted\)/)
    await expect(openReader(Readable.from(['url,url\nhttp://a/,x\n']), stdin, { format: 'csv', urlColumn: undefined })).rejects.toThrow('names the column `url` twice')
  })

  it('TSV and --url-column: the URL is trimmed, the cell is kept as it was', async () => {
    const [row] = await items('name\tlink\nA\t  http://a/x  \n', 'tsv', 'link')
    expect(row).toMatchObject({ line: 1, url: 'http://a/x', columns: { name: 'A', link: '  http://a/x  ' } })
  })

  it('JSON Lines: a row that is not an object is an INVALID_ROW record; a row keeps its extra keys, a missing one is null', async () => {
    const rows = await items('{"url":"http://a/","n":1}\n\n[1,2]\n{"url":"http://b/","extra":{"k":true}}\n', 'jsonl')
    expect(rows.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'INVALID_ROW', 'ok'])
    expect(rows[1]?.error?.message).toBe('row 2 (line 3) is not a JSON object')
    expect(rows[2]?.columns).toEqual({ url: 'http://b/', n: null, extra: { k: true } })
    await expect(items('not json\n', 'jsonl')).rejects.toThrow('the first row of `stdin` (line 1) is not a JSON object')
  })

  it('refuses Parquet from a stream, and --url-column on a URL list', async () => {
    await expect(openReader('-', stdin, { format: 'parquet', urlColumn: undefined })).rejects.toThrow(UsageError)
    await expect(openReader(Readable.from(['http://a/\n']), stdin, { format: 'list', urlColumn: 'link' })).rejects.toThrow('--url-column names a column of a table')
  })
})

describe('the hint for a list that looks like a table', () => {
  it('is given for a header naming a URL column, a URL with text cells, a JSON object; not for a URL holding a comma', () => {
    expect(tableHint('url,title')).toContain('--input-format csv')
    expect(tableHint('link\tname')).toContain('--input-format tsv')
    expect(tableHint('https://a.example/x.html,A page title')).toContain('CSV table')
    expect(tableHint('{"url": "https://a/"}')).toContain('--input-format jsonl')
    expect(tableHint('https://a.example/x?a=1,2')).toBeUndefined()
    expect(tableHint('https://a.example/plain')).toBeUndefined()
  })
})
