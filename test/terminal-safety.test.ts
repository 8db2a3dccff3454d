import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseJsonl } from './helpers/cli.js'
import { jsonReply, scriptedServer } from './helpers/scripted-server.js'
import { startServer, type TestServer } from './helpers/servers.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

/** Clear screen, set the window title, an OSC 8 link, BEL, and CSI in its 8-bit C1 form. */
const ESCAPES = '\u001b[2J\u001b]0;owned\u0007\u001b]8;;http://evil.example/\u001b\\link\u001b]8;;\u001b\\\u009b31m'
/** Any C0 control but tab, LF and CR, DEL, or any C1 control: what a terminal could run. */
const RUNNABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/

function hostilePage(): string {
  // Under 2% control characters, or the page would be refused as binary data.
  const body = Array.from({ length: 12 }, (_, i) => `<p>Sentence ${i + 1} about terminals ${i % 4 === 0 ? ESCAPES : ''} explains why raw control bytes in page text must never reach a user's screen when the output is printed, however the page was written and whatever it contains.</p>`).join('')
  return `<!doctype html><html lang="en"><head><title>Title ${ESCAPES} end</title></head><body><article><h1>Terminals</h1>${body}</article></body></html>`
}

let pages: TestServer
let rawStatus: Server
let rawStatusUrl: string
let dir: string

// dist/ is built once for every test file by test/global-setup.ts.
beforeAll(async () => {
  pages = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostilePage()))
  // Node's http server refuses control characters in a reason phrase; a real server may not.
  rawStatus = createServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 503 Down\u001b]0;owned\u0007 now\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'))
  })
  await new Promise<void>((resolve) => rawStatus.listen(0, '127.0.0.1', resolve))
  const address = rawStatus.address()
  rawStatusUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`
  dir = await mkdtemp(join(tmpdir(), 'terminal-safety-'))
})

afterAll(async () => {
  await pages.close()
  await new Promise<void>((resolve) => rawStatus.close(() => resolve()))
})

async function runBin(args: string[], input: string, env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string }> {
  const list = join(dir, `urls-${Math.random().toString(36).slice(2)}.txt`)
  await writeFile(list, input)
  try {
    return await run(process.execPath, [bin, list, '--provider', 'extractive', '--strategy', 'async', ...args], { cwd: root, env, maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    // Exit code 1 (a page failed) still gives the records on stdout.
    const e = error as { code?: number; stdout?: string; stderr?: string }
    if (e.code !== 1) throw error
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe('terminal control characters from pages never reach the output raw', () => {
  for (const format of ['csv', 'md', 'jsonl'] as const) {
    it(`${format}: titles, summaries and reason phrases carry no runnable control character`, async () => {
      const { stdout, stderr } = await runBin(['--format', format], `${pages.url}/a\n${rawStatusUrl}\n`)
      expect(stdout).toContain('Terminals')
      expect(stdout).toContain('Down')
      expect(stdout).not.toMatch(RUNNABLE)
      expect(stderr).not.toMatch(RUNNABLE)
    })
  }

  it('jsonl escapes C1 and DEL, so a parser still reads back the text the page had', async () => {
    const { stdout } = await runBin(['--format', 'jsonl'], `${pages.url}/a\n`)
    const [record] = parseJsonl(stdout)
    expect(record?.['title']).toContain('\u009b31m')
  })
})

describe('terminal control characters from a model endpoint never reach stderr raw', () => {
  it('the breaker notice quotes an AccessDenied message with its escapes replaced', async () => {
    const denied = jsonReply(403, { message: `User is not authorized ${ESCAPES}` }, { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/' })
    const endpoint = await scriptedServer([denied])
    try {
      const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' }
      const lines = Array.from({ length: 5 }, (_, i) => `${pages.url}/p${i}`).join('\n')
      const { stdout, stderr } = await runBin(['--provider', 'bedrock', '--endpoint-url', endpoint.url, '--format', 'csv'], lines, env)
      expect(stderr).toContain('ACCESS_DENIED')
      expect(stderr).toContain('User is not authorized')
      expect(stderr).not.toMatch(RUNNABLE)
      expect(stdout).not.toMatch(RUNNABLE)
    } finally {
      await endpoint.close()
    }
  })
})

describe('passwords in URLs', () => {
  it('are removed from the record url, the final URL and INVALID_URL messages', async () => {
    const withPassword = pages.url.replace('http://', 'http://alice:s3cr3t-pw@')
    const { stdout, stderr } = await runBin(['--format', 'jsonl'], `${withPassword}/a\nftp://bob:hunter22-pw@example.com/x\nhttp://carol:pa55-pw@[::1\n${withPassword}/a#again\n`)
    const records = parseJsonl(stdout)
    expect(records.map((r) => r['status'])).toEqual(['ok', 'error', 'error', 'ok'])
    expect(records[0]?.['url']).toBe(`${pages.url}/a`)
    // A duplicate line is answered from the first one's record, with its own URL, redacted too.
    expect(records[3]?.['url']).toBe(`${pages.url}/a#again`)
    expect(records[1]?.['error']).toMatchObject({ code: 'INVALID_URL' })
    for (const secret of ['s3cr3t-pw', 'hunter22-pw', 'pa55-pw', 'alice', 'bob:', 'carol']) {
      expect(stdout).not.toContain(secret)
      expect(stderr).not.toContain(secret)
    }
  })

  it('--resume recognises finished lines whose URL has a password, and does not fetch them again', async () => {
    const withPassword = pages.url.replace('http://', 'http://dave:resume-pw@')
    const out = join(dir, 'resume.jsonl')
    const list = `${withPassword}/resume\n`
    await runBin(['--out', out], list)
    const fetched = pages.requests.length
    await runBin(['--out', out, '--resume'], list)
    expect(pages.requests.length).toBe(fetched)
    const text = await readFile(out, 'utf8')
    expect(parseJsonl(text).map((r) => r['status'])).toEqual(['ok'])
    expect(text).not.toContain('resume-pw')
  })
})
