import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'

const SECRET = 'e2eSecretKeyThatMustNeverBePrinted0123456'
const AWS_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'] as const

let pages: StaticServer
let emulator: RunningEmulator
let dir: string
let input: string
const names = corpusPageNames()
// Bad lines spliced into the list; the key is the 1-based line each lands on.
const badLines = new Map<number, { text: string; code: string }>()

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  emulator = await startEmulator({ seed: 1, latencyMs: 30, jitterMs: 20, overshootRate: 0.5 })
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-e2e-'))
  const lines = ['# the 90 corpus pages, with bad lines among them']
  names.forEach((name, i) => {
    if (i === 10) lines.push('this is not a url')
    if (i === 40) lines.push('ftp://files.example.com/page.html')
    if (i === 70) lines.push(`${pages.url}/no-such-page/source.html`)
    lines.push(`${pages.url}/${name}/source.html`)
  })
  lines.forEach((text, i) => {
    if (text === 'this is not a url' || text.startsWith('ftp:')) badLines.set(i + 1, { text, code: 'INVALID_URL' })
    if (text.includes('no-such-page')) badLines.set(i + 1, { text, code: 'HTTP_STATUS' })
  })
  input = join(dir, 'urls.txt')
  await import('node:fs/promises').then((fs) => fs.writeFile(input, `${lines.join('\n')}\n`))
})

afterAll(async () => {
  await Promise.all([pages.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

function withEnv<T>(env: Partial<Record<(typeof AWS_VARS)[number], string>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(AWS_VARS.map((k) => [k, process.env[k]]))
  for (const k of AWS_VARS) delete process.env[k]
  Object.assign(process.env, env)
  return fn().finally(() => {
    for (const k of AWS_VARS) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  })
}

function checkRecords(records: Array<Record<string, unknown>>, provider: string): void {
  expect(records).toHaveLength(names.length + badLines.size)
  // Input order: line numbers strictly increase.
  const lines = records.map((r) => r['line'] as number)
  expect(lines).toEqual([...lines].sort((a, b) => a - b))
  const ok = records.filter((r) => r['status'] === 'ok')
  expect(ok).toHaveLength(names.length)
  for (const record of ok) {
    const summary = record['summary'] as string
    expect(summary.trim().length, `line ${String(record['line'])}`).toBeGreaterThan(0)
    expect(summary.length).toBeLessThanOrEqual(150)
    // Decoded in the right charset: no replacement characters, no GBK-read-as-UTF-8 mojibake.
    expect(`${String(record['title'])} ${summary}`).not.toMatch(/\uFFFD|鏂|鍒|锛/)
    expect(record['provider']).toBe(provider)
    expect(record['error']).toBeNull()
  }
  for (const [line, bad] of badLines) {
    const record = records.find((r) => r['line'] === line)
    expect(record?.['status'], `line ${line}`).toBe('error')
    expect((record?.['error'] as { code: string }).code).toBe(bad.code)
    expect(record?.['url']).toBe(bad.text)
  }
}

describe('the 90 corpus pages end to end', () => {
  it('come back as 90 ok records in input order through Bedrock (the emulator), with bad lines as error records and exit code 1', async () => {
    const out = join(dir, 'bedrock.jsonl')
    const result = await withEnv({ AWS_ACCESS_KEY_ID: 'AKIDTESTE2E', AWS_SECRET_ACCESS_KEY: SECRET }, () =>
      runCli([input, '--provider', 'bedrock', '--region', 'us-east-1', '--endpoint-url', emulator.url, '--max-chars', '150', '--out', out, '--threads', '2']),
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    const records = parseJsonl(readFileSync(out, 'utf8'))
    checkRecords(records, 'bedrock')
    const ok = records.filter((r) => r['status'] === 'ok')
    // Usage is reported from the model's response, and the emulator's overshoot was cut.
    expect(ok.every((r) => ((r['usage'] as { inputTokens: number }).inputTokens ?? 0) > 0)).toBe(true)
    expect(ok.some((r) => r['truncated'] === true)).toBe(true)
    expect(result.stderr).toContain('90 ok, 3 failed')
    // No credential or signature anywhere in what the user sees.
    for (const text of [result.stderr, readFileSync(out, 'utf8')]) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain('AKIDTESTE2E')
      expect(text).not.toMatch(/AWS4-HMAC-SHA256|Signature=/)
    }
  })

  it('works with no AWS credentials at all, using the offline default', async () => {
    const result = await withEnv({}, () => runCli([input, '--max-chars', '150']))
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('extractive summarizer (offline)')
    checkRecords(parseJsonl(result.stdout), 'extractive')
  })
})
