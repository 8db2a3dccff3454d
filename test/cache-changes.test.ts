import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/emulator/server.js'
import { quietEmulator, useFakeAwsCredentials } from './helpers/bedrock.js'
import { startCorpusSite, startCountingProxy, type CorpusSite } from './helpers/cache-site.js'
import { parseJsonl, runCli } from './helpers/cli.js'

useFakeAwsCredentials({ region: 'us-east-1' })

const PAGES = 100
const EDITED = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]
const MOVED = [1, 2, 3, 4, 5]
let site: CorpusSite
let emulator: RunningEmulator
let proxy: Awaited<ReturnType<typeof startCountingProxy>>
let dir: string

beforeAll(async () => {
  site = await startCorpusSite(PAGES, () => 'etag', { synthetic: true })
  emulator = await quietEmulator()
  proxy = await startCountingProxy(emulator.url)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-changes-'))
})
afterAll(async () => {
  await Promise.all([site.close(), proxy.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

const cacheDir = (): string => join(dir, 'cache')
async function run(urls: string[], name: string, extra: string[] = []): Promise<{ records: Array<Record<string, unknown>>; calls: string[] }> {
  const input = join(dir, `${name}.txt`)
  const out = join(dir, `${name}.jsonl`)
  writeFileSync(input, `${urls.join('\n')}\n`)
  const before = proxy.calls.length
  const result = await runCli([input, '--out', out, '--provider', 'bedrock', '--endpoint-url', proxy.url, '--region', 'us-east-1', '--strategy', 'async', '--concurrency', '16', '--cache-dir', cacheDir(), '--quiet', ...extra])
  expect(result.code, result.stderr).toBe(0)
  return { records: parseJsonl(readFileSync(out, 'utf8')), calls: proxy.calls.slice(before).map((call) => call.edition ?? '?') }
}

describe('a cache keyed by what the model is sent', () => {
  it('calls the model for exactly the pages whose content changed; pages moved to new URLs are hits', async () => {
    const urls = Array.from({ length: PAGES }, (_, i) => `${site.url}${site.path(i)}`)
    const first = await run(urls, 'first')
    expect(first.calls).toHaveLength(PAGES)

    for (const i of EDITED) site.edit(i)
    const moved = [...urls]
    for (const i of MOVED) {
      site.alias(`/moved/${i}`, i)
      moved[i] = `${site.url}/moved/${i}`
    }
    const second = await run(moved, 'second')
    // The proxy saw one call per edited page, each with the page's new edition.
    expect(second.calls.sort()).toEqual(EDITED.map((i) => `${i}.1`).sort())
    const cache = second.records.map((r) => r['cache'])
    for (let i = 0; i < PAGES; i += 1) expect(cache[i], `line ${i + 1}`).toBe(EDITED.includes(i) ? 'miss' : MOVED.includes(i) ? 'hit' : 'revalidated')
    // A moved page's record is the one its old URL had, under the new URL.
    for (const i of MOVED) expect(second.records[i]!['summary']).toBe(first.records[i]!['summary'])
    for (const i of EDITED) expect(second.records[i]!['title']).toBe(`Edition ${i}.1: All about subject ${i}`)
  }, 120_000)

  it('misses, never answers stale, when --max-chars, --max-input-chars or the model change', async () => {
    const urls = Array.from({ length: 10 }, (_, i) => `${site.url}${site.path(50 + i)}`)
    const base = await run(urls, 'base')
    const again = await run(urls, 'again')
    expect(again.calls).toHaveLength(0)

    const shorter = await run(urls, 'shorter', ['--max-chars', '60'])
    expect(shorter.calls).toHaveLength(10)
    expect(shorter.records.every((r) => r['cache'] === 'revalidated' || r['cache'] === 'miss')).toBe(true)
    expect(shorter.records.map((r) => r['cache'])).toEqual(new Array(10).fill('miss'))
    for (const record of shorter.records) expect((record['summary'] as string).length).toBeLessThanOrEqual(60)

    const cut = await run(urls, 'cut', ['--max-input-chars', '300'])
    expect(cut.calls).toHaveLength(10)

    const sonnet = await run(urls, 'sonnet', ['--model', 'anthropic.claude-3-sonnet-20240229-v1:0'])
    expect(sonnet.calls).toHaveLength(10)
    expect(sonnet.records.map((r) => r['model'])).toEqual(new Array(10).fill('anthropic.claude-3-sonnet-20240229-v1:0'))

    // Each setting keeps its own replies: back to the first, every page is answered as before.
    const back = await run(urls, 'back')
    expect(back.calls).toHaveLength(0)
    expect(back.records.map((r) => r['summary'])).toEqual(base.records.map((r) => r['summary']))
  }, 120_000)
})
