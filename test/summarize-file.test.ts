import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { summarizeFile, UsageError, type JobStart, type PageRecord } from '../src/index.js'
import { parseJsonl } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

let pages: TestServer
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'su-job-'))
  pages = await startServer((req, res) => {
    const path = req.url ?? '/'
    if (path === '/missing') return void res.writeHead(404).end('no such page')
    // The first line answers last, so a file in input order was put in order.
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${path}`)), path === '/a' ? 150 : 0)
  })
})
afterAll(() => pages.close())

const options = { provider: 'extractive', strategy: 'async', concurrency: 4 } as const

describe('summarizeFile', () => {
  it('writes a JSONL file in input order, one record per line, and returns the counts', async () => {
    const input = join(dir, 'urls.txt')
    const out = join(dir, 'out.jsonl')
    await writeFile(input, [`${pages.url}/a`, `${pages.url}/b`, 'not a url', `${pages.url}/missing`, `${pages.url}/b#again`, `${pages.url}/c`].join('\n'))
    const starts: JobStart[] = []
    const written: PageRecord[] = []

    const result = await summarizeFile(input, { out }, options, { onStart: (start) => void starts.push(start), onRecord: (record) => void written.push(record) })

    const records = parseJsonl(await readFile(out, 'utf8'))
    expect(records.map((r) => r['line'])).toEqual([1, 2, 3, 4, 5, 6])
    expect(records.map((r) => r['status'])).toEqual(['ok', 'ok', 'error', 'error', 'ok', 'ok'])
    expect(records[0]?.['title']).toBe('All about page /a')
    expect(records[4]?.['url']).toBe(`${pages.url}/b#again`)
    expect(result.outcome).toBe('pages-failed')
    expect(result.resumable).toBe(true)
    expect(result.stats).toMatchObject({ pages: 6, ok: 4, failed: 2, errors: { INVALID_URL: 1, HTTP_STATUS: 1 }, duplicates: 1, skipped: 0, breaker: null, interrupted: false })
    expect(starts).toHaveLength(1)
    expect(starts[0]?.summarizer).toMatch(/extractive/)
    expect(starts[0]?.resumed).toBeUndefined()
    expect(written).toHaveLength(6)
  })

  it('resumes a JSONL file: done lines are skipped, the rest are added, the file ends in input order', async () => {
    const input = join(dir, 'resume-urls.txt')
    const out = join(dir, 'resume.jsonl')
    await writeFile(input, [`${pages.url}/a`, `${pages.url}/b`].join('\n'))
    expect((await summarizeFile(input, { out }, options)).outcome).toBe('ok')
    await writeFile(input, [`${pages.url}/a`, `${pages.url}/b`, `${pages.url}/c`].join('\n'))
    const starts: JobStart[] = []

    const result = await summarizeFile(input, { out, resume: true }, options, { onStart: (start) => void starts.push(start) })

    expect(starts[0]?.resumed).toEqual({ done: 2, tornBytes: 0 })
    expect(result.outcome).toBe('ok')
    expect(result.stats).toMatchObject({ pages: 1, ok: 1, skipped: 2 })
    const records = parseJsonl(await readFile(out, 'utf8'))
    expect(records.map((r) => [r['line'], r['url']])).toEqual([
      [1, `${pages.url}/a`],
      [2, `${pages.url}/b`],
      [3, `${pages.url}/c`],
    ])
  })

  it('writes CSV to a stream when there is no file, from a list given as a stream', async () => {
    const stdout = new PassThrough()
    const chunks: Buffer[] = []
    stdout.on('data', (chunk: Buffer) => chunks.push(chunk))

    const result = await summarizeFile(Readable.from([`${pages.url}/a\n${pages.url}/b\n`]), { format: 'csv' }, options, { stdout })

    const lines = Buffer.concat(chunks).toString('utf8').trim().split(/\r?\n/)
    expect(lines[0]).toMatch(/^line,/)
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual(['1', '2'])
    expect(result).toMatchObject({ outcome: 'ok', resumable: false, stats: { pages: 2, ok: 2 } })
  })

  it('refuses to write over its own input, and leaves the list as it was', async () => {
    const input = join(dir, 'same.txt')
    await writeFile(input, `${pages.url}/a\n`)

    const refused = summarizeFile(input, { out: input }, options)

    await expect(refused).rejects.toThrow(UsageError)
    await expect(refused).rejects.toThrow(/is the input file/)
    expect(await readFile(input, 'utf8')).toBe(`${pages.url}/a\n`)
  })

  it('reports an interrupted outcome when the stop signal has fired', async () => {
    const stop = new AbortController()
    stop.abort()

    const result = await summarizeFile(Readable.from([`${pages.url}/a\n`]), { out: join(dir, 'stopped.jsonl') }, options, { stopSignal: stop.signal })

    expect(result.outcome).toBe('interrupted')
    expect(result.stats.interrupted).toBe(true)
  })
})
