import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import cacache from 'cacache'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/emulator/server.js'
import { seeded } from '../src/emulator/seeded.js'
import { quietEmulator, useFakeAwsCredentials } from './helpers/bedrock.js'
import { startCorpusSite, startCountingProxy, type CorpusSite } from './helpers/cache-site.js'
import { parseJsonl, runCli } from './helpers/cli.js'

useFakeAwsCredentials({ region: 'us-east-1' })

const PAGES = 40
let site: CorpusSite
let emulator: RunningEmulator
let proxy: Awaited<ReturnType<typeof startCountingProxy>>
let dir: string

beforeAll(async () => {
  site = await startCorpusSite(PAGES, () => 'etag', { synthetic: true })
  emulator = await quietEmulator()
  proxy = await startCountingProxy(emulator.url)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-damage-'))
})
afterAll(async () => {
  await Promise.all([site.close(), proxy.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

const cacheDir = (): string => join(dir, 'cache')
const urls = (): string[] => Array.from({ length: PAGES }, (_, i) => `${site.url}${site.path(i)}`)

async function run(name: string, extra: string[] = []): Promise<{ records: Array<Record<string, unknown>>; stderr: string }> {
  const input = join(dir, 'urls.txt')
  writeFileSync(input, `${urls().join('\n')}\n`)
  const out = join(dir, `${name}.jsonl`)
  const result = await runCli([input, '--out', out, '--provider', 'bedrock', '--endpoint-url', proxy.url, '--region', 'us-east-1', '--strategy', 'async', '--cache-dir', cacheDir(), ...extra])
  expect(result.code, result.stderr).toBe(0)
  return { records: parseJsonl(readFileSync(out, 'utf8')), stderr: result.stderr }
}

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

describe('a cache with damaged files', () => {
  it('answers every page as a run without the cache does; damaged entries are misses, reported and removed', async () => {
    const first = await run('first')
    // Which page each entry belongs to: replies by their summary, pages by their URL.
    const lineOf = new Map<string, number>()
    const entries = await cacache.ls(cacheDir())
    for (const entry of Object.values(entries)) {
      const value = JSON.parse((await cacache.get(cacheDir(), entry.key)).data.toString('utf8')) as { summary?: string; finalUrl?: string }
      const line = first.records.findIndex((r) => (value.summary !== undefined ? r['summary'] === value.summary : r['finalUrl'] === value.finalUrl))
      expect(line, entry.key).toBeGreaterThanOrEqual(0)
      lineOf.set(entry.key, line)
    }
    expect(lineOf.size).toBe(2 * PAGES)
    const keyOfFile = new Map<string, string>()
    for (const entry of Object.values(entries)) keyOfFile.set(entry.path, entry.key)
    for (const file of filesUnder(join(cacheDir(), 'index-v5'))) {
      const line = readFileSync(file, 'utf8').split('\n').find((l) => l.includes('\t')) ?? ''
      keyOfFile.set(file, (JSON.parse(line.slice(line.indexOf('\t') + 1)) as { key: string }).key)
    }

    // 5% of the cache's files, chosen by a seeded generator: half cut short, half overwritten.
    // Ordered by what they hold (the page's line, reply or page, index or content), not by
    // their names, which hash the server's port: the same seed damages the same entries on every run.
    const order = (file: string): string => {
      const key = keyOfFile.get(file)!
      return `${String(lineOf.get(key)).padStart(4, '0')}:${key.slice(0, 5)}:${file.includes('index-v5') ? 'i' : 'c'}`
    }
    const files = filesUnder(cacheDir())
      .filter((file) => keyOfFile.has(file))
      .sort((a, b) => order(a).localeCompare(order(b)))
    const random = seeded(22)
    const chosen = new Set<string>()
    while (chosen.size < Math.ceil(files.length * 0.05)) chosen.add(files[Math.floor(random() * files.length)]!)
    const damagedKeys = new Set<string>()
    const damagedIndex = new Set([...chosen].filter((file) => file.includes('index-v5')).map((file) => keyOfFile.get(file)!))
    // A damaged content file fails its hash or size and is reported, unless its index line is damaged too: then it is never found.
    let damagedContent = 0
    let n = 0
    for (const file of chosen) {
      const size = statSync(file).size
      if (n++ % 2 === 0) truncateSync(file, Math.floor(size / 2))
      else writeFileSync(file, Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))))
      damagedKeys.add(keyOfFile.get(file)!)
      if (file.includes('content-v2') && !damagedIndex.has(keyOfFile.get(file)!)) damagedContent += 1
    }
    const damagedReplies = new Set([...damagedKeys].filter((key) => key.startsWith('reply:')).map((key) => lineOf.get(key)!))
    const damagedPages = new Set([...damagedKeys].filter((key) => key.startsWith('page:')).map((key) => lineOf.get(key)!))
    // The seed damages both kinds of entry, and both kinds of file.
    expect(damagedContent).toBeGreaterThan(0)
    expect(damagedIndex.size).toBeGreaterThan(0)
    expect(damagedReplies.size).toBeGreaterThan(0)
    expect(damagedPages.size).toBeGreaterThan(0)

    const callsBefore = proxy.calls.length
    const second = await run('second')
    const reference = await run('reference', ['--no-cache'])
    const kept = (r: Record<string, unknown>) => ({ line: r['line'], url: r['url'], finalUrl: r['finalUrl'], status: r['status'], title: r['title'], lang: r['lang'], summary: r['summary'], truncated: r['truncated'] })
    expect(second.records.map(kept)).toEqual(reference.records.map(kept))
    expect(reference.records.every((r) => r['cache'] === undefined)).toBe(true)
    for (let i = 0; i < PAGES; i += 1) {
      expect(second.records[i]!['cache'], `line ${i + 1}`).toBe(damagedReplies.has(i) ? 'miss' : damagedPages.has(i) ? 'hit' : 'revalidated')
    }
    // Only the pages whose reply was damaged called the model (the no-cache run called for all).
    expect(proxy.calls.length - callsBefore).toBe(damagedReplies.size + PAGES)
    expect(second.stderr).toContain(`${damagedContent} damaged cache ${damagedContent === 1 ? 'entry' : 'entries'} removed`)
    const verify = await runCli(['cache', 'verify', '--cache-dir', cacheDir()])
    expect(verify.stdout).toContain(`${2 * PAGES} entries checked: ${2 * PAGES} ok, 0 damaged`)
  }, 120_000)
})
