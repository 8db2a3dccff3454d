import { createReadStream } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { mkdtemp, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Readable } from 'node:stream'
import { splitLines } from '../src/input/lines.js'
import { readUrlList } from '../src/input/list.js'
import { countLines, MAX_COUNTED_BYTES } from '../src/input/job-input.js'

async function file(text: string | Buffer): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'su-count-')), 'urls.txt')
  await writeFile(path, text)
  return path
}

describe('counting the lines of a URL list (how many pages a run has ahead)', () => {
  it('counts a last line without a newline, and none in an empty file', async () => {
    expect(await countLines(await file('http://a/\nhttp://b/\n')).done).toBe(2)
    expect(await countLines(await file('http://a/\nhttp://b/\nhttp://c/')).done).toBe(3)
    expect(await countLines(await file('')).done).toBe(0)
    expect(await countLines(await file('\r\n\r\n# a comment\r\n')).done).toBe(3)
  })

  it('counts the lines the run reads: a lone \\r ends a line too, and a \\r\\n split between two reads is one break', async () => {
    expect(await countLines(await file('http://a/\rhttp://b/\rhttp://c/\r')).done).toBe(3)
    expect(await countLines(await file('http://a/\r\rhttp://b/\r\nhttp://c/')).done).toBe(4)
    // The stream reads 64 KiB at a time: the \r is the last byte of the first read.
    const split = Buffer.concat([Buffer.alloc(64 * 1024 - 1, 0x61), Buffer.from('\r\nhttp://b/\n')])
    const texts = [split, Buffer.from('a\r\r\n\n\rb\r'), Buffer.from('\r'), Buffer.from('x\r\ny')]
    for (const text of texts) {
      let read = 0
      for await (const _line of splitLines(Readable.from([text]))) read += 1
      expect(await countLines(await file(text)).done).toBe(read)
    }
  })

  it('with --resume, leaves out the lines whose URL is done: the run passes over them', async () => {
    const list = await file('http://a/\n# notes\nhttp://done/1\nhttp://b/\nhttp://done/2\nhttp://done/1\n\n')
    // Lines up to the last URL (6), less the three the run will skip.
    const items = () => readUrlList(createReadStream(list))
    expect(await countLines(list, (item) => item.url.startsWith('http://done/'), items).done).toBe(3)
    expect(await countLines(list, () => false, items).done).toBe(6)
  })

  it('counts a file larger than one read (many chunks), and keeps the count', async () => {
    const count = countLines(await file('http://example.com/a-fairly-long-path/\n'.repeat(50_000)))
    expect(count.lines).toBeUndefined()
    expect(await count.done).toBe(50_000)
    expect(count.lines).toBe(50_000)
  })

  it('leaves a FIFO alone (it can be read only once) and a missing file unknown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'su-count-'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    expect(await countLines(join(dir, 'fifo')).done).toBeUndefined()
    expect(await countLines(join(dir, 'missing.txt')).done).toBeUndefined()
  })

  it('leaves a list past MAX_COUNTED_BYTES uncounted (a long run whatever its lines)', async () => {
    const path = await file('')
    await truncate(path, MAX_COUNTED_BYTES + 1)
    expect(await countLines(path).done).toBeUndefined()
  })

  it('stops when the job is over before the count is', async () => {
    const count = countLines(await file('http://a/\n'.repeat(200_000)))
    count.stop()
    expect(await count.done).toBeUndefined()
  })
})
