import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mostInWindow, startCountingProxy } from '../bench/counting-proxy.js'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import { readUrlList } from '../src/input/list.js'
import { resolveOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runSummaries } from '../src/run.js'
import { bedrockConfig, quietEmulator, useFakeAwsCredentials } from './helpers/bedrock.js'
import { runLines } from './helpers/run.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

useFakeAwsCredentials()

let pages: TestServer
beforeAll(async () => {
  pages = await startServer((req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${req.url ?? '/'}`)))
})
afterAll(() => pages.close())

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('two runs sharing one quota', () => {
  it('each learns its share: together under the quota, and the later one is not starved', async () => {
    // The two processes 5 s apart against --rpm 240 with 10% random 429s, scaled 5×:
    // 1200 a minute, 60 ms calls, 1 s apart, 60 pages each. Two runs in one process have two
    // rate controllers, as two processes do; the windows are 6 s (60 s / 10, the runs being
    // shorter too).
    const rpm = 1200
    const emulator = await quietEmulator({ rpm, latencyMs: 60, jitterMs: 10, throttleRate: 0.1, seed: 5 })
    const proxy = await startCountingProxy(emulator.url)
    try {
      const run = async (tag: string) => {
        const started = performance.now()
        const urls = Array.from({ length: 60 }, (_, i) => `${pages.url}/${tag}${i}`)
        const result = await runLines(urls, { strategy: 'async', concurrency: 16 }, bedrockConfig(proxy.url, { maxSockets: 16, retry: DEFAULT_RETRY_POLICY }))
        return { ...result, wallMs: performance.now() - started }
      }
      const first = run('a')
      await sleep(1000)
      const [a, b] = await Promise.all([first, run('b')])
      for (const { records } of [a, b]) expect(records.filter((r) => r.status === 'ok').length / 60).toBeGreaterThanOrEqual(0.99)
      const windowMs = 6000
      expect(mostInWindow(proxy.arrivals, windowMs)).toBeLessThanOrEqual(1.1 * (rpm / 60_000) * windowMs)
      expect(b.wallMs).toBeLessThanOrEqual(1.5 * a.wallMs)
    } finally {
      await proxy.close()
      await emulator.close()
    }
  }, 120_000)
})

describe('a quota that changes mid-run', () => {
  it('is followed within a few seconds when it drops, and no window holds more than 110% of the quota in force', async () => {
    // The 600 → 150 → 600 a minute, scaled 2×: 1200 → 300 → 1200, each for 8 s, to be
    // followed within 5 s (10 s / 2). Rates of 20 a second at most: a busy machine still
    // reaches them, so what is measured is the controller, not the cores.
    const high = 1200
    const low = 300
    const emulator = await quietEmulator({ rpm: high, rpmAt: ['8=300', '16=1200'], latencyMs: 40, jitterMs: 10, seed: 9 })
    const proxy = await startCountingProxy(emulator.url)
    const t0 = performance.now()
    const stop = new AbortController()
    const timer = setTimeout(() => stop.abort(), 24_000)
    try {
      const urls = Array.from({ length: 1000 }, (_, i) => `${pages.url}/q${i}`)
      const records: PageRecord[] = []
      const stats = await runSummaries(
        readUrlList(Readable.from([urls.join('\n')])),
        { write: (r) => void records.push(r) },
        resolveOptions({ strategy: 'async', concurrency: 32 }),
        bedrockConfig(proxy.url, { maxSockets: 32, retry: DEFAULT_RETRY_POLICY }),
        { stopSignal: stop.signal, drainMs: 5000 },
      )
      const at = (from: number, to: number): number => proxy.arrivals.filter((t) => t - t0 >= from * 1000 && t - t0 < to * 1000).length / (to - from)
      // Sends per second from 5 s after each change until the next.
      expect(at(13, 16)).toBeLessThanOrEqual((1.1 * low) / 60)
      // Following the rise back within 5 s (issue 17, acceptance 4) is not met yet: the probes
      // that find a higher quota need evidence beyond chance first. `npm run bench:resilience --
      // --only change` prints how long the run takes to follow each change, with its target.
      // No 6 s window over 110% of the quota in force (plus the bucket's one second of burst).
      const quotaAt = (s: number): number => (s >= 8 && s < 16 ? low : high) / 60
      const times = proxy.arrivals.map((t) => (t - t0) / 1000)
      for (let start = 0; start + 6 <= 24; start += 0.5) {
        const sent = times.filter((t) => t >= start && t < start + 6).length
        let allowed = 0
        for (let s = start; s < start + 6; s += 0.05) allowed += quotaAt(s) * 0.05
        expect(sent, `requests in [${start}, ${start + 6}) s`).toBeLessThanOrEqual(1.1 * allowed + quotaAt(start))
      }
      expect(stats.rate?.verdict.kind).toBe('quota')
    } finally {
      clearTimeout(timer)
      await proxy.close()
      await emulator.close()
    }
  }, 120_000)
})
