import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_LINE_CHARS, splitLines, type ListLine } from '../src/input/lines.js'
import { parseJsonl } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

async function split(chunks: Array<string | Buffer>, maxChars?: number): Promise<ListLine[]> {
  const lines: ListLine[] = []
  for await (const line of splitLines(Readable.from(chunks), maxChars)) lines.push(line)
  return lines
}

describe('splitting the URL list into lines', () => {
  it('splits on LF, CRLF and a lone CR, also when a CRLF or a UTF-8 character straddles two chunks', async () => {
    const euro = Buffer.from('€')
    const lines = await split([Buffer.from('a\r'), Buffer.from('\nb\rc\n'), Buffer.concat([Buffer.from('d'), euro.subarray(0, 1)]), Buffer.concat([euro.subarray(1), Buffer.from('\n\nlast')])])
    expect(lines.map((l) => l.text)).toEqual(['a', 'b', 'c', 'd€', '', 'last'])
  })

  it('keeps at most maxChars of a line and marks it, however the line is chunked', async () => {
    const lines = await split(['ab', 'cdefg', 'hij\nok\n', 'xyz'], 4)
    expect(lines).toEqual([
      { text: 'abcd', tooLong: true },
      { text: 'ok', tooLong: false },
      { text: 'xyz', tooLong: false },
    ])
  })
})

let pages: TestServer
beforeAll(async () => {
  pages = await startServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${req.url ?? ''}`)))
})
afterAll(() => pages.close())

describe('a URL list with a line far longer than any URL', () => {
  it('reports that line as INVALID_URL without holding it, and summarizes the lines around it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'su-long-line-'))
    const list = join(dir, 'urls.txt')
    // 20 MB on one line: what a binary file or a minified bundle given as the list looks like.
    // Held whole (as readline did), the record alone was 20 MB; past 512 MB the run crashed.
    await writeFile(list, `${pages.url}/first\n${pages.url}/${'a'.repeat(20_000_000)}\n${pages.url}/third\n`)
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, list, '--provider', 'extractive', '--strategy', 'async', '--quiet'], { maxBuffer: 64 * 1024 * 1024 }, (error, out, err) =>
        resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout: out, stderr: err }),
      )
    })
    expect(stderr).toBe('')
    expect(code).toBe(1)
    expect(stdout.length).toBeLessThan(4 * MAX_LINE_CHARS)
    const records = parseJsonl(stdout)
    expect(records.map((r) => [r['line'], r['status']])).toEqual([
      [1, 'ok'],
      [2, 'error'],
      [3, 'ok'],
    ])
    expect(records[1]?.['error']).toMatchObject({ code: 'INVALID_URL', message: expect.stringContaining(`longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters`) as unknown })
    // Only the line's head is quoted in the message.
    expect(String((records[1]?.['error'] as { message: string }).message).length).toBeLessThan(400)
  }, 60_000)
})
