import http from 'node:http'
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime'
import { describe, expect, it } from 'vitest'
import { quotaBucket } from '../src/emulator/quota.js'
import { startEmulator } from '../src/emulator/server.js'
import type { EmulatorStats } from '../src/emulator/server.js'
import { runCli } from './helpers/cli.js'
import { HAIKU } from './helpers/bedrock.js'
import { useEmulators } from './helpers/emulator.js'

const THROTTLING_TYPE = 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'
const TOO_MANY_REQUESTS = { message: 'Too many requests, please wait before trying again.' }
const TOO_MANY_TOKENS = { message: 'Too many tokens, please wait before trying again.' }
/** 39 Latin characters: with the newline that joins it to the empty system prompt, exactly 10 input tokens. */
const TEN_TOKEN_TEXT = 'Ships came home. The harbour was calm..'

const { emulator, sdkClient } = useEmulators()

/** A Converse call by hand, so a test controls the body exactly (and so the token count). */
async function call(url: string, options: { text?: string; maxTokens?: number; modelId?: string; body?: string; signal?: AbortSignal } = {}) {
  const body =
    options.body ??
    JSON.stringify({
      messages: [{ role: 'user', content: [{ text: options.text ?? TEN_TOKEN_TEXT }] }],
      ...(options.maxTokens === undefined ? {} : { inferenceConfig: { maxTokens: options.maxTokens } }),
    })
  const response = await fetch(`${url}/model/${encodeURIComponent(options.modelId ?? HAIKU)}/converse`, {
    method: 'POST',
    headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/bedrock/aws4_request', 'content-type': 'application/json' },
    body,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), json: (await response.json()) as Record<string, unknown> }
}

function usage(reply: { json: Record<string, unknown> }): { inputTokens: number; outputTokens: number } {
  return reply.json['usage'] as { inputTokens: number; outputTokens: number }
}

describe('quota token bucket', () => {
  it('refills continuously at rpm / 60 per second and admits exactly at the boundary', () => {
    const bucket = quotaBucket(60, 1, 0)
    expect(bucket.capacity).toBe(1)
    expect(bucket.admits(1, 0)).toBe(true)
    bucket.take(1, 0)
    expect(bucket.level(500)).toBeCloseTo(0.5, 12)
    expect(bucket.admits(1, 999)).toBe(false)
    expect(bucket.admits(1, 1000)).toBe(true)
  })

  it('holds one second of quota as burst, and no more after a long idle spell', () => {
    const bucket = quotaBucket(600, 1, 0)
    expect(bucket.capacity).toBe(10)
    for (let i = 0; i < 10; i++) {
      expect(bucket.admits(1, 0)).toBe(true)
      bucket.take(1, 0)
    }
    expect(bucket.admits(1, 0)).toBe(false)
    expect(bucket.level(60 * 60 * 1000)).toBe(10)
    expect(quotaBucket(600, 3, 0).capacity).toBe(30)
  })

  it('holds at least one request even when a second of quota is less', () => {
    const bucket = quotaBucket(6, 1, 0)
    expect(bucket.capacity).toBe(1)
    bucket.take(1, 0)
    // 6 rpm: one request every 10 s.
    expect(bucket.admits(1, 9999)).toBe(false)
    expect(bucket.admits(1, 10_000)).toBe(true)
  })
})

describe('emulator quotas over HTTP', () => {
  it('rpm 6 allows a burst of one call, then answers 429 ThrottlingException at once', async () => {
    let rolls = 0
    // The first call stalls, so it is surely admitted before the others arrive; the rest roll 0.9.
    const random = (): number => (rolls++ === 0 ? 0.1 : 0.9)
    // The real clock: 6 rpm refills one call every 10 s, far longer than this test.
    const { url, stats } = await emulator({ rpm: 6, latencyMs: 20_000, stallRate: 0.5, random })
    const held = new AbortController()
    const first = call(url, { signal: held.signal }).catch(() => 'aborted')
    await expect.poll(() => stats().stalled).toBe(1)
    const started = performance.now()
    expect(await call(url)).toEqual({ status: 429, errorType: THROTTLING_TYPE, json: TOO_MANY_REQUESTS })
    const third = sdkClient(url).send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'A page.' }] }] }))
    await expect(third).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } })
    // Refused without waiting for the 20 s model latency (the bound leaves room for a busy machine).
    expect(performance.now() - started).toBeLessThan(10_000)
    held.abort()
    expect(await first).toBe('aborted')
    expect(stats()).toMatchObject({ requests: 3, throttled: 2, stalled: 1, ok: 0 })
  })

  it('rpm refills with the injected clock', async () => {
    let nowMs = 0
    const { url, stats } = await emulator({ rpm: 120, now: () => nowMs }) // 2 a second, burst 2
    const statuses: number[] = []
    for (const at of [0, 0, 0, 499, 500, 500, 1500]) {
      nowMs = at
      statuses.push((await call(url)).status)
    }
    expect(statuses).toEqual([200, 200, 429, 429, 200, 429, 200])
    expect(stats()).toMatchObject({ ok: 4, throttled: 3 })
  })

  it('--rpm-at changes the quota on schedule, and setRpm changes it at once', async () => {
    let nowMs = 0
    const emulator_ = await emulator({ rpm: 120, rpmAt: ['10=60', '20=600'], now: () => nowMs }) // 2 a second, then 1, then 10
    const statuses = async (atSeconds: number, n: number): Promise<number[]> => {
      nowMs = atSeconds * 1000
      const out: number[] = []
      for (let i = 0; i < n; i++) out.push((await call(emulator_.url)).status)
      return out
    }
    expect(await statuses(0, 3)).toEqual([200, 200, 429]) // burst 2
    expect(emulator_.rpm()).toBe(120)
    expect(await statuses(12, 3)).toEqual([200, 429, 429]) // 60 a minute: burst 1
    expect(emulator_.rpm()).toBe(60)
    expect(await statuses(25, 11)).toEqual([...Array<number>(10).fill(200), 429]) // 600 a minute: burst 10
    emulator_.setRpm(60)
    expect(emulator_.rpm()).toBe(60)
    expect(await statuses(40, 2)).toEqual([200, 429])
  })

  it('checks quotas only after validation: bad calls keep their 4xx when over quota', async () => {
    const { url, stats } = await emulator({ rpm: 1, now: () => 0, deniedModels: ['amazon.nova-lite-v1:0'] })
    expect((await call(url)).status).toBe(200)
    expect((await call(url, { modelId: 'anthropic.claude-99' })).errorType).toMatch(/^ValidationException:/)
    expect((await call(url, { modelId: 'amazon.nova-lite-v1:0' })).status).toBe(403)
    expect((await call(url, { body: '{"messages": [' })).status).toBe(400)
    expect((await call(url)).status).toBe(429)
    expect(stats()).toMatchObject({ ok: 1, validation: 2, denied: 1, throttled: 1 })
  })

  it('tpm charges input plus maxTokens (512 when unset) while a call is held, and refunds the unused part', async () => {
    let rolls = 0
    // The first call's stall roll stalls it; every later roll lets calls through with no jitter.
    const random = (): number => (rolls++ === 0 ? 0.1 : 0.9)
    const { url, stats } = await emulator({ tpm: 1000 * 60, now: () => 0, stallRate: 0.5, random }) // bucket of 1000 tokens
    const held = new AbortController()
    const stalled = call(url, { signal: held.signal }).catch((error: unknown) => error)
    await expect.poll(() => stats().stalled).toBe(1)
    // 1000 - (10 + 512) = 478 left.
    expect(await call(url, { maxTokens: 469 })).toEqual({ status: 429, errorType: THROTTLING_TYPE, json: TOO_MANY_TOKENS })
    const fits = await call(url, { maxTokens: 468 })
    expect(fits.status).toBe(200)
    expect(usage(fits).inputTokens).toBe(10)
    const output = usage(fits).outputTokens
    expect(output).toBeGreaterThan(0)
    // Its unused 468 - output came back; then the held call's 512 when its client gives up.
    held.abort()
    expect(await stalled).toBeInstanceOf(Error)
    await expect.poll(() => stats().inFlight).toBe(0)
    // Still charged: the input of both admitted calls, and the output of the answered one.
    const left = 1000 - 10 - 10 - output
    expect((await call(url, { maxTokens: left - 10 + 1 })).status).toBe(429)
    const last = await call(url, { maxTokens: left - 10 })
    expect(last.status).toBe(200)
    expect(stats().tokens).toBe(10 + output + 10 + usage(last).outputTokens)
  })

  it('admits a call larger than the whole tpm bucket when the bucket is full, then throttles until refilled', async () => {
    let nowMs = 0
    const { url } = await emulator({ tpm: 600, now: () => nowMs }) // 10 tokens a second, bucket of 10
    expect((await call(url, { maxTokens: 100 })).status).toBe(200)
    expect((await call(url, { maxTokens: 1 })).status).toBe(429)
    nowMs = 60 * 1000
    expect((await call(url, { maxTokens: 100 })).status).toBe(200)
  })

  it('max-concurrency answers 429 while that many valid calls are in flight', async () => {
    const { url, stats } = await emulator({ maxConcurrency: 2, stallRate: 1 })
    const controller = new AbortController()
    const held = [call(url, { signal: controller.signal }), call(url, { signal: controller.signal })].map((p) => p.catch(() => 'aborted'))
    await expect.poll(() => stats().stalled).toBe(2)
    // A malformed call is not admitted, so it is neither throttled nor counted against the limit.
    expect((await call(url, { body: '{' })).status).toBe(400)
    expect(await call(url)).toEqual({ status: 429, errorType: THROTTLING_TYPE, json: TOO_MANY_REQUESTS })
    controller.abort()
    expect(await Promise.all(held)).toEqual(['aborted', 'aborted'])
    await expect.poll(() => stats().inFlight).toBe(0)
    const again = new AbortController()
    const admitted = call(url, { signal: again.signal }).catch(() => 'aborted')
    await expect.poll(() => stats().stalled).toBe(3)
    again.abort()
    expect(await admitted).toBe('aborted')
    expect(stats()).toMatchObject({ throttled: 1, validation: 1, stalled: 3 })
  })

  it('max-concurrency with the real SDK: two of three overlapping calls succeed', async () => {
    const { url, stats } = await emulator({ maxConcurrency: 2, latencyMs: 300 })
    const client = sdkClient(url)
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => client.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'A page. With text.' }] }] }))),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2)
    const rejected = results.find((r) => r.status === 'rejected')
    expect(rejected?.reason).toMatchObject({ name: 'ThrottlingException' })
    expect(stats()).toMatchObject({ ok: 2, throttled: 1, maxInFlight: 3 })
  })
})

describe('emulator network faults', () => {
  it('reset-rate 1 resets the connection early in the latency with no reply', async () => {
    const { url, stats } = await emulator({ resetRate: 1, latencyMs: 400 })
    const started = performance.now()
    const error = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'text' }] }] })
      const req = http.request(`${url}/model/${encodeURIComponent(HAIKU)}/converse`, {
        method: 'POST',
        agent: false,
        headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test', 'content-type': 'application/json' },
      })
      req.on('response', (res) => reject(new Error(`unexpected reply ${res.statusCode}`)))
      req.on('error', resolve)
      req.end(body)
    })
    const elapsedMs = performance.now() - started
    expect(error.code).toBe('ECONNRESET')
    // A quarter of the 400 ms latency.
    expect(elapsedMs).toBeGreaterThanOrEqual(90)
    expect(elapsedMs).toBeLessThan(350)
    await expect.poll(() => stats().inFlight).toBe(0)
    expect(stats()).toMatchObject({ requests: 1, reset: 1, ok: 0, errors: 0 })
  })

  it('reset-rate 1 reaches the SDK as a network error, not an HTTP status', async () => {
    const { url, stats } = await emulator({ resetRate: 1 })
    const error = (await sdkClient(url)
      .send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'text' }] }] }))
      .catch((e: unknown) => e)) as { code?: string; $metadata?: { httpStatusCode?: number } }
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('ECONNRESET')
    expect(error.$metadata?.httpStatusCode).toBeUndefined()
    expect(stats().reset).toBe(1)
  })

  it('stall-rate 1 never answers: the client times out, and the request ends when it hangs up', async () => {
    const { url, stats } = await emulator({ stallRate: 1 })
    const started = performance.now()
    const error = await call(url, { signal: AbortSignal.timeout(200) }).catch((e: unknown) => e)
    expect((error as Error).name).toBe('TimeoutError')
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    await expect.poll(() => stats().inFlight).toBe(0)
    expect(stats()).toMatchObject({ requests: 1, stalled: 1, ok: 0, throttled: 0, errors: 0 })
  })

  it('close() ends stalled requests at once', async () => {
    const emulatorRunning = await startEmulator({ seed: 1, stallRate: 1 })
    const pending = call(emulatorRunning.url).catch((e: unknown) => e)
    await expect.poll(() => emulatorRunning.stats().stalled).toBe(1)
    const started = performance.now()
    await emulatorRunning.close()
    expect(performance.now() - started).toBeLessThan(500)
    expect(await pending).toBeInstanceOf(Error)
    await expect.poll(() => emulatorRunning.stats().inFlight).toBe(0)
  })
})

describe('emulator stats timeline', () => {
  it('counts each second from the start, without gaps, and adds up to the totals', async () => {
    let nowMs = 0
    let rolls = 0
    // Dice per admitted call: reset, then stall, then latency. The first call is answered,
    // the second stalls, the third is reset.
    const random = (): number => [0.9, 0.9, 0.9, 0.9, 0.1, 0.1][rolls++] ?? 0.9
    const { url, stats } = await emulator({ rpm: 60, now: () => nowMs, resetRate: 0.5, stallRate: 0.5, random })
    nowMs = 200
    expect((await call(url)).status).toBe(200)
    expect((await call(url)).status).toBe(429)
    nowMs = 1500
    const held = new AbortController()
    const stalled = call(url, { signal: held.signal }).catch(() => 'aborted')
    await expect.poll(() => stats().stalled).toBe(1)
    held.abort()
    expect(await stalled).toBe('aborted')
    nowMs = 3100
    await expect(call(url)).rejects.toThrow('fetch failed')
    expect((await call(url)).status).toBe(429)

    const totals = stats()
    expect(totals.timeline).toEqual([
      { second: 0, requests: 2, ok: 1, throttled: 1, errors: 0, reset: 0, stalled: 0 },
      { second: 1, requests: 1, ok: 0, throttled: 0, errors: 0, reset: 0, stalled: 1 },
      { second: 2, requests: 0, ok: 0, throttled: 0, errors: 0, reset: 0, stalled: 0 },
      { second: 3, requests: 2, ok: 0, throttled: 1, errors: 0, reset: 1, stalled: 0 },
    ])
    for (const key of ['requests', 'ok', 'throttled', 'errors', 'reset', 'stalled'] as const) {
      expect(totals.timeline.reduce((sum, row) => sum + row[key], 0), key).toBe(totals[key])
    }
  })

  it('stats() returns a copy that later requests and callers cannot change', async () => {
    const { url, stats } = await emulator()
    const before: EmulatorStats = stats()
    before.timeline.push({ second: 99, requests: 1, ok: 1, throttled: 0, errors: 0, reset: 0, stalled: 0 })
    await call(url)
    expect(before.ok).toBe(0)
    expect(stats().timeline).toHaveLength(1)
    const after = stats()
    after.timeline[0]!.ok = 42
    expect(stats().timeline[0]?.ok).toBe(1)
    expect(stats().tokens).toBeGreaterThan(0)
  })
})

describe('emulator quota options', () => {
  it.each([
    [{ rpm: 0 }, '--rpm must be an integer of 1 or more, got `0`'],
    [{ tpm: 1.5 }, '--tpm must be an integer of 1 or more, got `1.5`'],
    [{ maxConcurrency: -1 }, '--max-concurrency must be an integer of 1 or more, got `-1`'],
    [{ resetRate: 2 }, '--reset-rate must be a number from 0 to 1, got `2`'],
    [{ stallRate: Number.NaN }, '--stall-rate must be a number from 0 to 1, got `NaN`'],
    [{ burstSeconds: 0 }, '--burst-seconds must be a number of seconds greater than 0, got `0`'],
  ] as const)('startEmulator(%o) throws a TypeError naming the flag', async (options, message) => {
    await expect(startEmulator({ seed: 1, ...options })).rejects.toThrow(new TypeError(message))
  })

  it('startEmulator refuses an --rpm-at entry that is not SECONDS=RPM, naming the flag and the entry', async () => {
    const message = '--rpm-at must be SECONDS=RPM with RPM an integer of 1 or more (`20=150`: 150 a minute from 20 s on), got `soon=150`'
    await expect(startEmulator({ seed: 1, rpmAt: ['soon=150'] })).rejects.toThrow(new TypeError(message))
  })

  it.each([
    [['--rpm', '0'], '--rpm must be an integer of 1 or more, got `0`'],
    [['--tpm', '0'], '--tpm must be an integer of 1 or more, got `0`'],
    [['--max-concurrency', '0'], '--max-concurrency must be an integer of 1 or more, got `0`'],
    [['--reset-rate', '1.5'], '--reset-rate must be a number from 0 to 1, got `1.5`'],
    [['--stall-rate', '1.5'], '--stall-rate must be a number from 0 to 1, got `1.5`'],
    [['--burst-seconds', '-1'], '--burst-seconds must be a number of seconds greater than 0, got `-1`'],
  ])('the emulator command passes %j through to the same check and exits 2', async (flags, message) => {
    const result = await runCli(['emulator', ...flags])
    expect(result).toEqual({ code: 2, stdout: '', stderr: `summarize-urls: ${message}\n` })
  })
})
