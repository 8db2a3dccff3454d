import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/emulator/server.js'
import { parseJsonl } from './helpers/cli.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'
import { seeded } from '../src/emulator/seeded.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
// The built bin, built once for every test file (test/global-setup.ts).
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))
const KEY = 'sk-openai-cli-test-key-never-printed-0123456789'
const names = corpusPageNames()

let pages: StaticServer
let dir: string
const emulators: RunningEmulator[] = []

// The built bin is what users run: compiled JavaScript, with the compiled worker file.
beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-openai-'))
}, 120_000)

afterAll(async () => {
  await Promise.all([pages.close(), ...emulators.map((e) => e.close())])
  rmSync(dir, { recursive: true, force: true })
})

async function emulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const started = await startEmulator({ seed: 1, latencyMs: 30, jitterMs: 20, ...options })
  emulators.push(started)
  return started
}

/** The corpus `copies` times over: the page server ignores the query, the run sees distinct URLs. */
function urlList(file: string, copies = 1, count = names.length): string {
  const lines = Array.from({ length: copies }, (_, copy) => names.slice(0, count).map((name) => `${pages.url}/${name}/source.html${copy === 0 ? '' : `?copy=${copy}`}`)).flat()
  const path = join(dir, file)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/** The bin with only the variables named: no AWS or OpenAI settings leak in from the machine. */
async function bin_(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  // Each test's own empty cache (test/setup-cache.ts), not one under HOME shared by the file's tests.
  const base = { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_CACHE_HOME: process.env['XDG_CACHE_HOME'] ?? '', AWS_EC2_METADATA_DISABLED: 'true' }
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root, env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    if (typeof e.code !== 'number') throw error
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

function checkCorpusRecords(records: Array<Record<string, unknown>>, model: string): void {
  expect(records).toHaveLength(names.length)
  expect(records.map((r) => r['line'])).toEqual(names.map((_, i) => i + 1))
  for (const record of records) {
    expect(record['status'], `line ${String(record['line'])}`).toBe('ok')
    expect((record['summary'] as string).length).toBeLessThanOrEqual(150)
    expect(record['provider']).toBe('openai')
    expect(record['model']).toBe(model)
    const usage = record['usage'] as { inputTokens: number; outputTokens: number }
    expect(usage.inputTokens).toBeGreaterThan(0)
    expect(usage.outputTokens).toBeGreaterThan(0)
  }
}

describe('--provider openai through the built bin', () => {
  it('summarizes the 90 corpus pages through an OpenAI-compatible --base-url: all ok, in order, within --max-chars, with usage', async () => {
    const { url } = await emulator({ apiKey: KEY, overshootRate: 0.5 })
    const out = join(dir, 'openai.jsonl')
    const result = await bin_([urlList('openai.txt'), '--provider', 'openai', '--base-url', `${url}/v1`, '--max-chars', '150', '--out', out], { OPENAI_API_KEY: KEY })
    expect(result.code, result.stderr).toBe(0)
    checkCorpusRecords(parseJsonl(readFileSync(out, 'utf8')), 'gpt-4o-mini')
    expect(result.stderr).toContain(`using OpenAI model gpt-4o-mini at ${url}/v1`)
    expect(result.stderr).toContain('90 ok, 0 failed')
    for (const text of [result.stderr, readFileSync(out, 'utf8')]) expect(text).not.toContain(KEY)
  }, 60_000)

  it('summarizes the 90 corpus pages through Azure OpenAI (deployment path, api-key header)', async () => {
    const emu = await emulator({ apiKey: KEY })
    const out = join(dir, 'azure.jsonl')
    const result = await bin_([urlList('azure.txt'), '--provider', 'openai', '--azure-deployment', 'summaries', '--max-chars', '150', '--out', out], {
      AZURE_OPENAI_ENDPOINT: emu.url,
      AZURE_OPENAI_API_KEY: KEY,
      OPENAI_API_VERSION: '2024-10-21',
    })
    expect(result.code, result.stderr).toBe(0)
    const records = parseJsonl(readFileSync(out, 'utf8'))
    checkCorpusRecords(records, 'summaries')
    expect(result.stderr).toContain(`using Azure OpenAI deployment summaries at ${emu.url} (api-version 2024-10-21)`)
    // Corpus pages with the same extracted text are asked once: the others are cache hits.
    const hits = records.filter((r) => r['cache'] === 'hit').length
    expect(emu.stats().ok + hits).toBe(90)
    for (const text of [result.stderr, readFileSync(out, 'utf8')]) expect(text).not.toContain(KEY)
  }, 60_000)

  it('learns the quota from the x-ratelimit headers when no --rpm is given, and keeps to it', async () => {
    // Time is scaled by 4: 1200 rpm checked over 10-second windows is the 300 rpm of the
    // issue over 60-second windows at a quarter of the run time. A window then holds 200
    // calls; the client's burst (0.5 s of quota, 10 calls) and the calls sent before the
    // first reply (--concurrency 4) stay within the 10% margin, as at 300 rpm.
    const rpm = 1200
    const windowSeconds = 10
    const emu = await emulator({ rpm, latencyMs: 40, jitterMs: 10 })
    const out = join(dir, 'quota.jsonl')
    const result = await bin_([urlList('quota.txt', 3), '--provider', 'openai', '--base-url', `${emu.url}/v1`, '--concurrency', '4', '--out', out], { OPENAI_API_KEY: KEY })
    expect(result.code, result.stderr).toBe(0)
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records).toHaveLength(names.length * 3)
    expect(records.every((r) => r['status'] === 'ok')).toBe(true)
    expect(result.stderr).toContain(`quota learned from the server: ${rpm} rpm`)
    const perSecond = emu.stats().timeline.map((row) => row.requests)
    const allowed = (rpm / 60) * windowSeconds * 1.1
    for (let start = 0; start + windowSeconds <= perSecond.length; start++) {
      const inWindow = perSecond.slice(start, start + windowSeconds).reduce((a, b) => a + b, 0)
      expect(inWindow, `requests in seconds ${start}–${start + windowSeconds}`).toBeLessThanOrEqual(allowed)
    }
  }, 60_000)

  it('ends at least 99% ok when the emulator throttles a fifth of the calls at random', async () => {
    const emu = await emulator({ throttleRate: 0.2, random: seeded(12) })
    const out = join(dir, 'throttled.jsonl')
    // 40 pages: enough for a few hundred dice rolls, and the run stays short.
    const result = await bin_([urlList('throttled.txt', 1, 40), '--provider', 'openai', '--base-url', `${emu.url}/v1`, '--out', out], { OPENAI_API_KEY: KEY })
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records).toHaveLength(40)
    expect(records.filter((r) => r['status'] === 'ok').length / records.length, result.stderr).toBeGreaterThanOrEqual(0.99)
    expect(emu.stats().throttled).toBeGreaterThan(0)
    // The rate controller's pacing after throttles stretches with the machine's load: 12 s
    // alone, 25 s beside two `yes`, past 60 s in a whole suite run beside other work.
  }, 180_000)

  it('stops after a few pages on an invalid key with one message, and --resume completes the run once the key is fixed', async () => {
    const emu = await emulator({ apiKey: KEY })
    const input = urlList('bad-key.txt', 1, 30)
    const out = join(dir, 'bad-key.jsonl')
    const args = [input, '--provider', 'openai', '--base-url', `${emu.url}/v1`, '--concurrency', '2', '--out', out]
    const wrong = 'sk-wrong-key-also-never-printed-9876543210'
    const first = await bin_(args, { OPENAI_API_KEY: wrong })
    expect(first.code).toBe(1)
    const stopped = first.stderr.split('\n').filter((line) => line.includes('stopped: every model call failed with ACCESS_DENIED'))
    expect(stopped).toHaveLength(1)
    expect(stopped[0]).toContain('OPENAI_API_KEY')
    const records = parseJsonl(readFileSync(out, 'utf8'))
    const codes = records.map((r) => (r['error'] as { code: string } | null)?.code)
    expect(codes.filter((c) => c === 'ACCESS_DENIED').length).toBeLessThanOrEqual(4)
    expect(codes.filter((c) => c === 'NOT_ATTEMPTED').length).toBeGreaterThanOrEqual(26)
    for (const text of [first.stderr, readFileSync(out, 'utf8')]) {
      expect(text).not.toContain(wrong)
      expect(text).not.toContain(wrong.slice(-4))
    }

    const second = await bin_([...args, '--resume'], { OPENAI_API_KEY: KEY })
    expect(second.code, second.stderr).toBe(0)
    const resumed = parseJsonl(readFileSync(out, 'utf8')).filter((r) => r['status'] === 'ok')
    expect(new Set(resumed.map((r) => r['line']))).toEqual(new Set(Array.from({ length: 30 }, (_, i) => i + 1)))
  }, 60_000)
})
