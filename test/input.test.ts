import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { readUrlList, type InputItem } from '../src/input/list.js'

async function read(text: string): Promise<InputItem[]> {
  const items: InputItem[] = []
  for await (const item of readUrlList(Readable.from([text]))) items.push(item)
  return items
}

describe('reading the URL list', () => {
  it('skips blank lines and comments, trims whitespace, and keeps 1-based line numbers', async () => {
    const items = await read('# my list\n\n  https://a.example/x  \n\t\nhttp://b.example/\n')
    expect(items).toEqual([
      { line: 3, url: 'https://a.example/x' },
      { line: 5, url: 'http://b.example/' },
    ])
  })

  it('reports lines that are not http(s) URLs as INVALID_URL with their line number, and goes on', async () => {
    const items = await read('not a url\nhttps://ok.example/\nftp://files.example/a\njavascript:alert(1)\nfile:///etc/passwd\n/relative/path\nhttps://ok.example/2')
    expect(items.map((i) => [i.line, i.error?.code ?? 'ok'])).toEqual([
      [1, 'INVALID_URL'],
      [2, 'ok'],
      [3, 'INVALID_URL'],
      [4, 'INVALID_URL'],
      [5, 'INVALID_URL'],
      [6, 'INVALID_URL'],
      [7, 'ok'],
    ])
    expect(items[2]?.error?.message).toContain('ftp:')
  })

  it('handles CRLF line ends and a byte-order mark on the first line', async () => {
    const items = await read('\uFEFFhttps://a.example/\r\nhttps://b.example/\r\n')
    expect(items).toEqual([
      { line: 1, url: 'https://a.example/' },
      { line: 2, url: 'https://b.example/' },
    ])
  })

  it('streams a 100,000-line list without reading it all first', async () => {
    let produced = 0
    const lines = Readable.from(
      (function* () {
        for (let i = 1; i <= 100_000; i++) {
          produced = i
          yield `https://example.com/${i}\n`
        }
      })(),
    )
    let seen = 0
    for await (const item of readUrlList(lines)) {
      seen += 1
      // The reader is consumed lazily: when we have seen the first item, the source has
      // produced only a buffer's worth of lines, not the whole file.
      if (seen === 1) expect(produced).toBeLessThan(50_000)
      if (item.line !== seen) throw new Error(`line ${item.line} came as item ${seen}`)
    }
    expect(seen).toBe(100_000)
  })
})
