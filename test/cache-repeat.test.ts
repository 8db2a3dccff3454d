import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/emulator/server.js'
import { quietEmulator, useFakeAwsCredentials } from './helpers/bedrock.js'
import { startCorpusSite, startCountingProxy, type CorpusSite } from './helpers/cache-site.js'
import { parseJsonl, runCli } from './helpers/cli.js'

useFakeAwsCredentials({ region: 'us-east-1' })

// The second run of the same list: every page revalidated (304) or answered from the cache,
// no model call at all. The wall-time ratio of the two runs is measured on 1,000 pages by
// `npm run bench:cache` (README, "Cache"); a test does not time.
const PAGES = 60
let site: CorpusSite
let emulator: RunningEmulator
let proxy: Awaited<ReturnType<typeof startCountingProxy>>
let dir: string

beforeAll(async () => {
  // Most pages carry an ETag; some a Last-Modified only, some no validator, some no-store.
  site = await startCorpusSite(PAGES, (i) => (i % 10 === 7 ? 'last-modified' : i % 10 === 8 ? 'none' : i % 10 === 9 ? 'no-store' : 'etag'))
  emulator = await quietEmulator()
  proxy = await startCountingProxy(emulator.url)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-repeat-'))
})
afterAll(async () => {
  await Promise.all([site.close(), proxy.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

const args = (out: string): string[] => ['--out', out, '--provider', 'bedrock', '--endpoint-url', proxy.url, '--region', 'us-east-1', '--concurrency', '16', '--cache-dir', join(dir, 'cache')]
const summaryLine = (stderr: string): string => stderr.split('\n').find((line) => line.includes(' pages in ')) ?? ''

describe('the same list run again', () => {
  it('makes no model call: every page is revalidated (304) or answered from the cache, with the same records', async () => {
    const input = join(dir, 'urls.txt')
    writeFileSync(input, `${Array.from({ length: PAGES }, (_, i) => `${site.url}${site.path(i)}`).join('\n')}\n`)

    const first = await runCli([input, ...args(join(dir, 'first.jsonl'))])
    expect(first.code).toBe(0)
    const firstRecords = parseJsonl(readFileSync(join(dir, 'first.jsonl'), 'utf8'))
    expect(firstRecords.map((r) => r['cache'])).toEqual(new Array(PAGES).fill('miss'))
    expect(proxy.calls).toHaveLength(PAGES)
    expect(summaryLine(first.stderr)).toContain(`0 of ${PAGES} pages from the cache`)

    const callsBefore = proxy.calls.length
    const fullBefore = site.counts.full
    const second = await runCli([input, ...args(join(dir, 'second.jsonl'))])
    expect(second.code).toBe(0)
    const records = parseJsonl(readFileSync(join(dir, 'second.jsonl'), 'utf8'))

    expect(proxy.calls.length - callsBefore).toBe(0)
    const expected = Array.from({ length: PAGES }, (_, i) => (i % 10 === 8 || i % 10 === 9 ? 'hit' : 'revalidated'))
    expect(records.map((r) => r['cache'])).toEqual(expected)
    // Only the pages without a validator (or no-store) were downloaded again.
    expect(site.counts.full - fullBefore).toBe(PAGES / 5)
    const kept = (r: Record<string, unknown>) => ({ line: r['line'], url: r['url'], finalUrl: r['finalUrl'], status: r['status'], title: r['title'], lang: r['lang'], summary: r['summary'], truncated: r['truncated'], usage: r['usage'] })
    expect(records.map(kept)).toEqual(firstRecords.map(kept))
    // "60 of 60 pages from the cache: 0.0x M input tokens, $0.0x saved" (Haiku's price is in the table).
    expect(summaryLine(second.stderr)).toMatch(new RegExp(`${PAGES} of ${PAGES} pages from the cache: \\d+\\.\\d\\d M input tokens, \\$\\d+\\.\\d\\d saved`))
  }, 180_000)
})
