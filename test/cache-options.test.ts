import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { defaultCacheDir } from '../src/cache/dir.js'
import { CacheStore } from '../src/cache/store.js'
import { startCorpusSite, type CorpusSite } from './helpers/cache-site.js'
import { parseJsonl, runCli } from './helpers/cli.js'

let site: CorpusSite
let dir: string
beforeAll(async () => {
  site = await startCorpusSite(6, (i) => (i === 5 ? 'no-store' : 'etag'), { synthetic: true })
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-options-'))
})
afterAll(async () => {
  await site.close()
  rmSync(dir, { recursive: true, force: true })
})

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

async function offline(urls: string[], extra: string[]): Promise<Array<Record<string, unknown>>> {
  const input = join(dir, 'urls.txt')
  writeFileSync(input, `${urls.join('\n')}\n`)
  const result = await runCli([input, '--provider', 'extractive', '--quiet', ...extra])
  expect(result.code, result.stderr).toBe(0)
  return parseJsonl(result.stdout)
}

describe('the cache directory', () => {
  it('defaults to $XDG_CACHE_HOME/summarize-urls (an absolute one), else ~/.cache/summarize-urls', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/summarize-urls')
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative/cache' })).toMatch(/\.cache\/summarize-urls$/)
    expect(defaultCacheDir({})).toMatch(/\.cache\/summarize-urls$/)
  })

  it('is created readable by its owner only, under $XDG_CACHE_HOME when no --cache-dir is given', async () => {
    const records = await offline([`${site.url}${site.path(0)}`], [])
    expect(records[0]!['cache']).toBe('miss')
    const created = join(process.env['XDG_CACHE_HOME']!, 'summarize-urls')
    expect(statSync(created).mode & 0o777).toBe(0o700)
  })

  it('is neither read nor written with --no-cache, and records then carry no cache field', async () => {
    const cacheDir = join(dir, 'never')
    const records = await offline([`${site.url}${site.path(1)}`], ['--no-cache', '--cache-dir', cacheDir])
    expect(existsSync(cacheDir)).toBe(false)
    expect(records[0]).not.toHaveProperty('cache')
  })

  it('keeps no page served with Cache-Control: no-store, and no page fetched with a password, whose secret is nowhere in it', async () => {
    const cacheDir = join(dir, 'secrets')
    const withPassword = site.url.replace('http://', 'http://reader:hunter2-secret@')
    await offline([`${site.url}${site.path(5)}`, `${withPassword}${site.path(2)}`], ['--cache-dir', cacheDir])
    const stats = await runCli(['cache', 'stats', '--cache-dir', cacheDir])
    // The offline summarizer's replies are not kept (nothing to pay), so no page at all here.
    expect(stats.stdout).toContain('entries: 0 (0 model replies, 0 pages)')
    for (const file of filesUnder(cacheDir)) expect(readFileSync(file, 'utf8')).not.toContain('hunter2-secret')
    // A page with validators is kept, and revalidated next time.
    await offline([`${site.url}${site.path(3)}`], ['--cache-dir', cacheDir])
    const again = await offline([`${site.url}${site.path(3)}`], ['--cache-dir', cacheDir])
    expect(again[0]!['cache']).toBe('revalidated')
    expect((await runCli(['cache', 'stats', '--cache-dir', cacheDir])).stdout).toContain('entries: 1 (0 model replies, 1 pages)')
    const cleared = await runCli(['cache', 'clear', '--cache-dir', cacheDir])
    expect(cleared.stdout).toContain('1 entries removed')
    expect((await runCli(['cache', 'stats', '--cache-dir', cacheDir])).stdout).toContain('entries: 0')
  })

  it('refuses --cache-max-size under 1 MiB, naming the flag and its unit', async () => {
    const result = await runCli([join(dir, 'urls.txt'), '--cache-max-size', '0'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--cache-max-size must be')
    expect(result.stderr).toContain('MiB')
  })
})

describe('least recently used eviction', () => {
  it('removes the entries used longest ago until the cache fits, and a hit counts as a use', async () => {
    const store = await CacheStore.open(join(dir, 'lru'))
    const hour = 60 * 60 * 1000
    const now = Date.now()
    // Ten entries of about 1 KB, used one, two, … ten hours ago (entry 0 most recently).
    for (let i = 0; i < 10; i += 1) {
      await store.put(`reply:${i}`, { key: `reply:${i}`, summary: 'x'.repeat(1000) } as { key: string })
      const [entry] = (await store.entries()).filter((e) => e.key === `reply:${i}`)
      await store.lib.index.insert(store.dir, `reply:${i}`, entry!.integrity, { size: entry!.size, time: now - (i + 1) * hour } as never)
    }
    // Entry 9, the oldest, is read: it becomes the most recent.
    expect((await store.get('reply:9', (v): v is unknown => v !== undefined)).state).toBe('hit')
    await vi.waitFor(async () => expect((await store.entries()).find((e) => e.key === 'reply:9')!.time).toBeGreaterThan(now - hour))
    const size = (await store.entries())[0]!.size
    const result = await store.evict(size * 6)
    const left = (await store.entries()).map((e) => e.key).sort()
    // Down to 90% of six entries: five are left, the most recently used.
    expect(result.removed).toBe(5)
    expect(left).toEqual(['reply:0', 'reply:1', 'reply:2', 'reply:3', 'reply:9'])
  })
})
