import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { bedrockConfig, HAIKU, useFakeAwsCredentials } from './helpers/bedrock.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { runLines } from './helpers/run.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

useFakeAwsCredentials()

let pages: TestServer
beforeAll(async () => {
  pages = await startServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    switch (path) {
      case '/missing':
        return void res.writeHead(404).end('gone')
      case '/pdf':
        return void res.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.7')
      case '/never':
        return // never answers: the fetch deadline ends it
      case '/zero-width':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><p>&nbsp;&#8203;&#8203; &zwnj;</p></body></html>')
      case '/binary':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 2654435761) >>> 24)))
      case '/empty':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><script>var x = 1</script></body></html>')
      case '/slow':
        return void setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('a slow page')), 2_000)
      default:
        return void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${path}`))
    }
  })
})
afterAll(() => pages.close())

function bedrock(emulator: RunningEmulator, modelId = HAIKU): SummarizerConfig {
  return bedrockConfig(emulator.url, { modelId })
}

describe('failures stay with their page', () => {
  it('one failing page does not affect the others', async () => {
    const urls = ['/a', '/missing', '/pdf', '/never', '/b', '/empty', '/zero-width', '/binary', '/c'].map((p) => pages.url + p)
    // The deadline ends /never; it is long enough that the good pages meet it on a busy machine.
    const { records, stats } = await runLines(urls, { strategy: 'pool', threads: 2, concurrency: 8, fetchTimeoutMs: 5_000 })
    expect(records.map((r) => (r.status === 'ok' ? 'ok' : r.error.code))).toEqual(['ok', 'HTTP_STATUS', 'PDF_INVALID', 'FETCH_TIMEOUT', 'ok', 'NO_TEXT', 'NO_TEXT', 'UNSUPPORTED_CONTENT_TYPE', 'ok'])
    // A PDF is read now: one that is only its header is a broken PDF, not an unsupported type.
    expect(records[2]?.error?.message).toMatch(/PDF/)
    expect(records[7]?.error?.message).toContain('binary')
    expect(stats).toMatchObject({ pages: 9, ok: 3, failed: 6, errors: { HTTP_STATUS: 1, PDF_INVALID: 1, UNSUPPORTED_CONTENT_TYPE: 1, FETCH_TIMEOUT: 1, NO_TEXT: 2 } })
  })

  it('throttled and failing model calls are retried until they succeed', async () => {
    // Each random 429 also slows the run's learned rate (a client cannot tell it from a quota
    // one), so the storm is kept small: 20 pages, a fifth throttled, a tenth failing.
    const emulator = await startEmulator({ seed: 1, latencyMs: 5, jitterMs: 5, throttleRate: 0.2, errorRate: 0.1 })
    try {
      const urls = Array.from({ length: 20 }, (_, i) => `${pages.url}/p${i}`)
      const { records } = await runLines(urls, { strategy: 'pool', threads: 2, concurrency: 8 }, bedrock(emulator))
      expect(records.filter((r) => r.status === 'ok')).toHaveLength(20)
      const stats = emulator.stats()
      expect(stats.throttled + stats.errors).toBeGreaterThan(0)
      expect(stats.ok).toBe(20)
    } finally {
      await emulator.close()
    }
  })

  it('a validation error is not retried', async () => {
    const emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0 })
    try {
      const urls = Array.from({ length: 4 }, (_, i) => `${pages.url}/v${i}`)
      const { records } = await runLines(urls, { strategy: 'async', concurrency: 4 }, bedrock(emulator, 'no.such-model-v1:0'))
      // Each sent once. A model id Bedrock refuses is also the breaker's: after three such
      // errors a page not yet sent is NOT_ATTEMPTED (on a busy machine the fourth page's fetch
      // can finish after the third error), never sent a second time.
      const refused = records.filter((r) => r.error?.code === 'MODEL_VALIDATION')
      for (const record of refused) expect(record.error).toMatchObject({ attempts: 1 })
      expect(refused.length).toBeGreaterThanOrEqual(3)
      expect(records.filter((r) => r.error?.code !== 'MODEL_VALIDATION').map((r) => r.error?.code)).toEqual(Array(4 - refused.length).fill('NOT_ATTEMPTED'))
      expect(emulator.stats().requests).toBe(refused.length)
    } finally {
      await emulator.close()
    }
  })
})

describe('interrupting a run', () => {
  for (const strategy of ['async', 'pool']) {
    it(`Ctrl-C ends in-flight pages as ABORTED, keeps finished records, and exits 130 (${strategy})`, async () => {
      const emulator = await startEmulator({ seed: 1, latencyMs: 5_000, jitterMs: 0 })
      try {
        const controller = new AbortController()
        // Every page waits on a slow model; the bad first line is finished at once.
        const stdin = ['not a url', `${pages.url}/one`, `${pages.url}/two`].join('\n')
        const running = runCli(['-', '--provider', 'bedrock', '--endpoint-url', emulator.url, '--strategy', strategy, '--threads', '1', '--concurrency', '4'], {
          stdin,
          signal: controller.signal,
        })
        // Ctrl-C once both model calls are in flight (not after a fixed time: a busy machine may not have started yet).
        await expect.poll(() => emulator.stats().requests, { timeout: 60_000 }).toBeGreaterThanOrEqual(2)
        const started = Date.now()
        controller.abort()
        const result = await running
        expect(result.code).toBe(130)
        expect(Date.now() - started).toBeLessThan(4_000) // the 5 s model calls were not waited for
        const records = parseJsonl(result.stdout)
        expect(records.map((r) => (r['status'] === 'ok' ? 'ok' : (r['error'] as { code: string }).code))).toEqual(['INVALID_URL', 'ABORTED', 'ABORTED'])
      } finally {
        await emulator.close()
      }
    })
  }
})

describe('the pool keeps many model calls in flight', () => {
  it('runs more concurrent model calls than it has threads', async () => {
    const emulator = await startEmulator({ seed: 1, latencyMs: 300, jitterMs: 0 })
    try {
      const urls = Array.from({ length: 24 }, (_, i) => `${pages.url}/m${i}`)
      const { records } = await runLines(urls, { strategy: 'pool', threads: 2, concurrency: 12 }, bedrock(emulator), new AbortController().signal)
      expect(records.every((r) => r.status === 'ok')).toBe(true)
      // 2 threads, 12 pages in flight: the emulator must see far more than 2 calls at once.
      expect(emulator.stats().maxInFlight).toBeGreaterThanOrEqual(8)
    } finally {
      await emulator.close()
    }
  })
})
