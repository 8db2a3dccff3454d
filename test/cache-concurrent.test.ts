import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/emulator/server.js'
import { quietEmulator } from './helpers/bedrock.js'
import { startCorpusSite, startCountingProxy, type CorpusSite, type ProxiedCall } from './helpers/cache-site.js'
import { parseJsonl, runCli } from './helpers/cli.js'

const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

/**
 * The race window this test allows: two processes that miss the same key before either has
 * stored the reply both call the model (cacache makes each write atomic, not a lock). A
 * second call for a key may start while the first is in flight, or until it is stored, which
 * happens as its reply arrives; STORE_SLACK_MS covers the write on a loaded machine. A call
 * that starts later than that would mean the cache failed to answer.
 */
const STORE_SLACK_MS = 2000

let site: CorpusSite
let emulator: RunningEmulator
let proxy: Awaited<ReturnType<typeof startCountingProxy>>
let dir: string

beforeAll(async () => {
  site = await startCorpusSite(90, () => 'etag', { synthetic: true })
  // Calls that take a while, so the two runs overlap on the pages they share.
  emulator = await quietEmulator({ latencyMs: 150 })
  proxy = await startCountingProxy(emulator.url)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-concurrent-'))
})
afterAll(async () => {
  await Promise.all([site.close(), proxy.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

async function runBin(pages: number[], name: string): Promise<Array<Record<string, unknown>>> {
  const input = join(dir, `${name}.txt`)
  const out = join(dir, `${name}.jsonl`)
  writeFileSync(input, `${pages.map((i) => `${site.url}${site.path(i)}`).join('\n')}\n`)
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  await promisify(execFile)(process.execPath, [bin, input, '--out', out, '--provider', 'bedrock', '--endpoint-url', proxy.url, '--concurrency', '8', '--strategy', 'async', '--cache-dir', join(dir, 'cache'), '--quiet'], { env })
  return parseJsonl(readFileSync(out, 'utf8'))
}

describe('two runs sharing one cache directory at once', () => {
  it('both complete, no entry is damaged, and a key calls the model twice only inside the race window', async () => {
    const a = Array.from({ length: 60 }, (_, i) => i)
    const b = Array.from({ length: 60 }, (_, i) => 30 + i)
    const [first, second] = await Promise.all([runBin(a, 'a'), runBin(b, 'b')])
    expect(first.map((r) => r['status'])).toEqual(new Array(60).fill('ok'))
    expect(second.map((r) => r['status'])).toEqual(new Array(60).fill('ok'))
    // The shared pages got the same summary in both outputs, whoever called for them.
    for (let i = 30; i < 60; i += 1) expect(second[i - 30]!['summary']).toBe(first[i]!['summary'])

    const verify = await runCli(['cache', 'verify', '--cache-dir', join(dir, 'cache')])
    expect(verify.stdout).toContain('0 damaged')
    expect(verify.code).toBe(0)

    const byKey = new Map<string, ProxiedCall[]>()
    for (const call of proxy.calls) byKey.set(call.body, [...(byKey.get(call.body) ?? []), call])
    // Every page was asked for at least once; at most once per process.
    expect(byKey.size).toBe(90)
    for (const [, calls] of byKey) {
      expect(calls.length).toBeLessThanOrEqual(2)
      const [earliest, later] = [...calls].sort((x, y) => x.startedAt - y.startedAt)
      if (later !== undefined && earliest !== undefined) expect(later.startedAt).toBeLessThan(earliest.endedAt + STORE_SLACK_MS)
    }
    // Afterwards every page of both lists is answered from the cache.
    const again = await runBin([...a, ...b.slice(30)], 'again')
    expect(again.every((r) => r['cache'] === 'revalidated')).toBe(true)
    expect(proxy.calls.length).toBe([...byKey.values()].flat().length)
  }, 120_000)
})
