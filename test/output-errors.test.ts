import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable, Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

let pages: TestServer
let dir: string
beforeAll(async () => {
  pages = await startServer((req, res) => {
    const delay = req.url?.startsWith('/slow') ? 5_000 : 0
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('output errors')), delay)
  })
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-out-'))
})
afterAll(async () => {
  await pages.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A stdout that accepts `okWrites` writes and then fails the way a closed pipe or full disk does. */
function failingStdout(code: string, okWrites: number): Writable {
  let writes = 0
  return new Writable({
    write(_chunk, _encoding, callback) {
      writes += 1
      if (writes <= okWrites) return callback()
      callback(Object.assign(new Error(`write ${code}`), { code }))
    },
  })
}

async function runWithStdout(stdout: Writable, argv: string[], urls = Array.from({ length: 400 }, (_, i) => `${pages.url}/p${i}`).join('\n')) {
  const stderr = new PassThrough()
  const err: Buffer[] = []
  stderr.on('data', (chunk: Buffer) => err.push(chunk))
  const code = await main(argv, { stdin: Readable.from([urls]), stdout, stderr, stderrIsTTY: false, signal: new AbortController().signal })
  return { code, stderr: Buffer.concat(err).toString('utf8') }
}

describe('when the records cannot be written', () => {
  it('a closed pipe (| head) stops the run quietly with status 141', async () => {
    const before = pages.requests.length
    const result = await runWithStdout(failingStdout('EPIPE', 3), ['-', '--provider', 'extractive', '--quiet', '--strategy', 'async'])
    expect(result).toEqual({ code: 141, stderr: '' })
    // The run stopped: far fewer than the 400 pages were fetched.
    expect(pages.requests.length - before).toBeLessThan(100)
  })

  it('a full disk stops the run with exit code 2 and one line naming the output', async () => {
    const result = await runWithStdout(failingStdout('ENOSPC', 3), ['-', '--provider', 'extractive', '--quiet', '--strategy', 'pool', '--threads', '1'])
    expect(result).toEqual({ code: 2, stderr: 'summarize-urls: cannot write records to stdout: ENOSPC\n' })
  })

  it('a run refused for missing credentials leaves an earlier --out file untouched', async () => {
    const out = join(dir, 'earlier.jsonl')
    writeFileSync(out, '{"line":1}\n')
    const saved = process.env['AWS_ACCESS_KEY_ID']
    delete process.env['AWS_ACCESS_KEY_ID']
    try {
      const result = await runWithStdout(new PassThrough(), ['-', '--provider', 'bedrock', '--region', 'us-east-1', '--out', out])
      expect(result.code).toBe(2)
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    } finally {
      if (saved !== undefined) process.env['AWS_ACCESS_KEY_ID'] = saved
    }
    expect(readFileSync(out, 'utf8')).toBe('{"line":1}\n')
  })

  it('pages in flight are cancelled rather than awaited once the output is gone', async () => {
    // The first page is quick, the 15 behind it take 5 s: the failed first write must not wait for them.
    const urls = [`${pages.url}/quick`, ...Array.from({ length: 15 }, (_, i) => `${pages.url}/slow${i}`)].join('\n')
    const started = Date.now()
    const result = await runWithStdout(failingStdout('EPIPE', 0), ['-', '--provider', 'extractive', '--quiet', '--strategy', 'async'], urls)
    expect(result.code).toBe(141)
    expect(Date.now() - started).toBeLessThan(4_000)
  })
})
