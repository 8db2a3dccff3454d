import { lstat, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

let pages: TestServer
let emulator: RunningEmulator
let dir: string
/** Paths that answer 500 the first time they are asked for, then the page. */
const flaky = new Set<string>()

beforeAll(async () => {
  process.env['AWS_ACCESS_KEY_ID'] = 'test'
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test'
  dir = await mkdtemp(join(tmpdir(), 'su-resume-'))
  emulator = await startEmulator({ seed: 1, latencyMs: 5, jitterMs: 0 })
  pages = await startServer((req, res) => {
    const path = req.url ?? '/'
    if (path.startsWith('/flaky') && !flaky.has(path)) {
      flaky.add(path)
      return void res.writeHead(500).end('try later')
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${path}`))
  })
})
afterAll(async () => {
  await pages.close()
  await emulator.close()
})

const bedrockArgs = (): string[] => ['--provider', 'bedrock', '--endpoint-url', emulator.url, '--region', 'us-east-1', '--strategy', 'async', '--concurrency', '3', '--quiet']

describe('--resume', () => {
  it('keeps the ok records, drops a torn last line, retries the failed lines, and does the rest: one record per line, in order', async () => {
    const input = join(dir, 'urls.txt')
    const out = join(dir, 'out.jsonl')
    const urls = [`${pages.url}/a`, `${pages.url}/flaky-b`, 'not a url', `${pages.url}/c`, `${pages.url}/d`, `${pages.url}/e`, `${pages.url}/a`]
    await writeFile(input, `${urls.join('\n')}\n`)

    const first = await runCli([input, '--out', out, ...bedrockArgs()])
    expect(first.code).toBe(1)
    const firstRecords = parseJsonl(await readFile(out, 'utf8'))
    expect(firstRecords.map((r) => r['line'])).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(firstRecords.map((r) => r['status'])).toEqual(['ok', 'error', 'error', 'ok', 'ok', 'ok', 'ok'])

    // A crash: the file ends after line 4's record, with half of line 5's.
    const lines = (await readFile(out, 'utf8')).split('\n')
    await writeFile(out, `${lines.slice(0, 4).join('\n')}\n${lines[4]!.slice(0, 25)}`)
    const pagesBefore = pages.requests.length
    const callsBefore = emulator.stats().requests

    const resumed = await runCli([input, '--out', out, '--resume', ...bedrockArgs()])
    const records = parseJsonl(await readFile(out, 'utf8'))
    expect(records.map((r) => r['line'])).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(records.map((r) => r['url'])).toEqual(urls)
    expect(records.map((r) => r['status'])).toEqual(['ok', 'ok', 'error', 'ok', 'ok', 'ok', 'ok'])
    // Line 1 and 4 were kept as they were, and line 7 got line 1's record (the same URL); 2
    // (failed), 5 (torn) and 6 (never written) were done.
    expect(records[0]).toEqual(firstRecords[0])
    expect(records[3]).toEqual(firstRecords[3])
    expect(records[6]).toEqual({ ...firstRecords[0], line: 7 })
    expect(pages.requests.slice(pagesBefore).sort()).toEqual(['/d', '/e', '/flaky-b'])
    // The cache (on by default) kept the replies of /d and /e from the first run, whose records
    // were lost: only the failed page calls the model again.
    expect(emulator.stats().requests - callsBefore).toBe(1)
    expect(records.slice(4, 6).map((r) => r['cache'])).toEqual(['hit', 'hit'])
    expect(records[1]!['cache']).toBe('miss')
    expect(resumed.code).toBe(1) // line 3 is still not a URL

    // Everything done: a re-run costs no fetch and no model call, and changes nothing.
    const finished = await readFile(out, 'utf8')
    const pagesNow = pages.requests.length
    const callsNow = emulator.stats().requests
    await runCli([input, '--out', out, '--resume', ...bedrockArgs()])
    expect(pages.requests.length).toBe(pagesNow)
    expect(emulator.stats().requests).toBe(callsNow)
    expect(await readFile(out, 'utf8')).toBe(finished)
  })

  it('starts from scratch when the file does not exist yet', async () => {
    const input = join(dir, 'fresh.txt')
    const out = join(dir, 'fresh.jsonl')
    await writeFile(input, `${pages.url}/f1\n${pages.url}/f2\n`)
    const result = await runCli([input, '--out', out, '--resume', '--provider', 'extractive', '--quiet'])
    expect(result.code).toBe(0)
    expect(parseJsonl(await readFile(out, 'utf8')).map((r) => r['line'])).toEqual([1, 2])
  })

  it('redoes a line whose URL changed since the file was written', async () => {
    const input = join(dir, 'changed.txt')
    const out = join(dir, 'changed.jsonl')
    await writeFile(input, `${pages.url}/x1\n${pages.url}/x2\n`)
    await runCli([input, '--out', out, '--provider', 'extractive', '--quiet'])
    await writeFile(input, `${pages.url}/x1\n${pages.url}/y2\n`)
    await runCli([input, '--out', out, '--resume', '--provider', 'extractive', '--quiet'])
    expect(parseJsonl(await readFile(out, 'utf8')).map((r) => r['url'])).toEqual([`${pages.url}/x1`, `${pages.url}/y2`])
  })

  it('refuses without --out, on CSV, and on a file that is not ours — leaving it untouched', async () => {
    const input = join(dir, 'refuse.txt')
    await writeFile(input, `${pages.url}/r1\n`)
    const noOut = await runCli([input, '--resume', '--provider', 'extractive'])
    expect(noOut.code).toBe(2)
    expect(noOut.stderr).toContain('--resume needs --out')
    const csv = await runCli([input, '--resume', '--out', join(dir, 'x.csv'), '--provider', 'extractive'])
    expect(csv.code).toBe(2)
    expect(csv.stderr).toContain('JSONL')
    const notOurs = join(dir, 'notes.jsonl')
    await writeFile(notOurs, '{"line":1,"url":"x","status":"ok"}\nmy shopping list\n{"a":1}\n')
    const refused = await runCli([input, '--resume', '--out', notOurs, '--provider', 'extractive'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('line 2 is not a summarize-urls JSONL record')
    expect(await readFile(notOurs, 'utf8')).toBe('{"line":1,"url":"x","status":"ok"}\nmy shopping list\n{"a":1}\n')
  })

  it('refuses a file that is not ours even when its last line has no newline, and leaves it as it was', async () => {
    const input = join(dir, 'tail.txt')
    await writeFile(input, `${pages.url}/t1\n`)
    for (const content of ['{"event":"a"}\n{"event":"b"}', 'just one line of notes']) {
      const notOurs = join(dir, 'tail-notes.jsonl')
      await writeFile(notOurs, content)
      const refused = await runCli([input, '--resume', '--out', notOurs, '--provider', 'extractive'])
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('is not a summarize-urls JSONL record')
      expect(await readFile(notOurs, 'utf8')).toBe(content)
    }
  })

  it('keeps the records of URLs the input no longer has in <out>.orphaned.jsonl, and says so even with --quiet', async () => {
    const input = join(dir, 'shrink.txt')
    const out = join(dir, 'shrink.jsonl')
    await writeFile(input, [1, 2, 3, 4].map((i) => `${pages.url}/s${i}`).join('\n'))
    await runCli([input, '--out', out, '--provider', 'extractive', '--quiet'])
    const first = parseJsonl(await readFile(out, 'utf8'))
    await writeFile(input, [`${pages.url}/s1`, `${pages.url}/other`].join('\n'))
    const resumed = await runCli([input, '--out', out, '--resume', '--provider', 'extractive', '--quiet'])
    expect(parseJsonl(await readFile(out, 'utf8')).map((r) => [r['line'], r['url']])).toEqual([
      [1, `${pages.url}/s1`],
      [2, `${pages.url}/other`],
    ])
    expect(parseJsonl(await readFile(`${out}.orphaned.jsonl`, 'utf8'))).toEqual(first.slice(1))
    expect(resumed.stderr).toBe(`summarize-urls: 3 finished records are for URLs this input no longer has: kept in \`${out}.orphaned.jsonl\`, not in \`${out}\` (a later --resume whose input has them uses them)\n`)
  })

  it('writes through a symlinked --out (such as /dev/stdout) without replacing the link, and will not resume it', async () => {
    const input = join(dir, 'link.txt')
    const target = join(dir, 'link-target.jsonl')
    const link = join(dir, 'link.jsonl')
    await writeFile(input, `${pages.url}/l2\n${pages.url}/l1\n`)
    await writeFile(target, '')
    await symlink(target, link)
    const result = await runCli([input, '--out', link, '--provider', 'extractive', '--quiet'])
    expect(result.code).toBe(0)
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(parseJsonl(await readFile(target, 'utf8')).map((r) => r['line'])).toEqual([1, 2])
    const resumed = await runCli([input, '--out', link, '--resume', '--provider', 'extractive'])
    expect(resumed.code).toBe(2)
    expect(resumed.stderr).toContain('--resume needs --out to be a regular file')
  })
})
