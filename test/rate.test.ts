import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Breaker } from '../src/control/breaker.js'
import { outcomeOf, type Permit } from '../src/control/gate.js'
import { RateController } from '../src/control/rate.js'
import type { ErrorVerdict } from '../src/control/verdict.js'
import { ERROR_CODES, PageError, type ErrorCode } from '../src/errors.js'

describe('RateController', () => {
  // Fake timers move Date.now with them: the controller's clock and its timers agree.
  let start = 0
  beforeEach(() => {
    vi.useFakeTimers()
    start = Date.now()
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  const advance = (ms: number): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined)
  const now = (): number => Date.now() - start
  /** Waiters still queued when a test closes the gate are rejected: that is expected here. */
  const ignore = (): void => {}

  it('paces calls to --rpm with a half-second burst', async () => {
    const gate = new RateController({ maxConcurrency: 100, rpm: 600, now })
    const granted: number[] = []
    for (let i = 0; i < 20; i++) void gate.acquire(0).then((permit) => (granted.push(now()), permit.done({ kind: 'ok' })), ignore)
    await advance(0)
    expect(granted).toHaveLength(5) // the burst: half a second of 10 a second
    await advance(1000)
    expect(granted).toHaveLength(15)
    await advance(500)
    expect(granted).toHaveLength(20)
    // After the burst, one every 100 ms.
    expect(granted.slice(5, 9)).toEqual([100, 200, 300, 400])
    gate.close()
  })

  it('charges the estimated tokens against --tpm and gives back what a call did not use', async () => {
    const gate = new RateController({ maxConcurrency: 100, tpm: 60_000, now }) // 1000 a second, 500 burst
    const first = await gate.acquire(500)
    let second: Permit | undefined
    void gate.acquire(400).then((p) => (second = p), ignore)
    await advance(0)
    expect(second).toBeUndefined() // the bucket is empty
    first.done({ kind: 'ok', tokens: 100 }) // 400 tokens come back
    await advance(0)
    expect(second).toBeDefined()
    gate.close()
  })

  it('keeps at most --concurrency in flight, and does not cut it for throttles alone', async () => {
    const gate = new RateController({ maxConcurrency: 10, now })
    const permits: Permit[] = []
    for (let i = 0; i < 30; i++) void gate.acquire(0).then((p) => permits.push(p), ignore)
    await advance(0)
    expect(permits).toHaveLength(10)
    // Four throttles out of ten calls: not yet a verdict (a phase is judged on 20 calls).
    for (const permit of permits.splice(0, 4)) permit.done({ kind: 'throttled' })
    await advance(0)
    expect(gate.stats()).toMatchObject({ throttled: 4, cuts: 0, limit: 10 })
    expect(permits).toHaveLength(10)
    gate.close()
  })

  it('paces a quota it finds: a burst mostly throttled, then calls at a lower pace mostly not', async () => {
    const gate = new RateController({ maxConcurrency: 20, now })
    // 20 at once; the server lets 2 through and throttles 18: a phase clearly throttled.
    const burst = await Promise.all(Array.from({ length: 20 }, () => gate.acquire(0)))
    burst[0]!.done({ kind: 'ok' })
    burst[1]!.done({ kind: 'ok' })
    for (const permit of burst.slice(2)) permit.done({ kind: 'throttled' })
    expect(gate.stats().learnedRpm).toBeNull()
    // The drain test: calls at under the goodput, which the server answers.
    const granted: number[] = []
    const send = (): void =>
      void gate.acquire(0).then((p) => {
        granted.push(now())
        void advance(100).then(() => p.done({ kind: 'ok' }))
      }, ignore)
    for (let i = 0; i < 16; i++) send()
    await advance(20_000)
    expect(granted).toHaveLength(16)
    // Paced: well under one a second (2 ok in the last 2 s, × 0.8), not 16 at once.
    expect(granted[1]! - granted[0]!).toBeGreaterThan(500)
    expect(gate.stats().verdict.kind).toBe('quota')
    expect(gate.stats().learnedRpm).toBeGreaterThan(0)
    gate.close()
  })

  it('holds every call for a Retry-After', async () => {
    const gate = new RateController({ maxConcurrency: 10, now })
    const first = await gate.acquire(0)
    first.done({ kind: 'throttled', retryAfterMs: 2000 })
    let next: Permit | undefined
    void gate.acquire(0).then((p) => (next = p), ignore)
    await advance(1999)
    expect(next).toBeUndefined()
    await advance(1)
    expect(next).toBeDefined()
    gate.close()
  })

  it('trips the breaker after three fatal errors in a row: waiters and later calls are refused as NOT_ATTEMPTED', async () => {
    const gate = new RateController({ maxConcurrency: 3, now })
    const trips: string[] = []
    gate.onTrip((trip) => trips.push(trip.code))
    const permits = await Promise.all([gate.acquire(0), gate.acquire(0), gate.acquire(0)])
    const waiting = gate.acquire(0)
    permits[0]!.done({ kind: 'fatal', code: ERROR_CODES.ACCESS_DENIED, message: 'no access to model x' })
    permits[1]!.done({ kind: 'fatal', code: ERROR_CODES.ACCESS_DENIED, message: 'no access' })
    // The third call has not failed yet; the waiter got the slot the first one freed… and so on.
    permits[2]!.done({ kind: 'fatal', code: ERROR_CODES.ACCESS_DENIED, message: 'no access' })
    expect(trips).toEqual(['ACCESS_DENIED'])
    expect(gate.tripped?.message).toBe('no access to model x')
    const late = await gate.acquire(0).catch((e: unknown) => e)
    expect(late).toBeInstanceOf(PageError)
    expect((late as PageError).code).toBe(ERROR_CODES.NOT_ATTEMPTED)
    // The waiter was granted before the third failure; it gets its permit, and gives it back.
    ;(await waiting).done({ kind: 'cancelled' })
    gate.close()
  })

  it('does not trip on fatal errors separated by successes', async () => {
    const gate = new RateController({ maxConcurrency: 1, now })
    for (let i = 0; i < 10; i++) {
      ;(await gate.acquire(0)).done({ kind: 'fatal', code: ERROR_CODES.MODEL_NOT_FOUND, message: 'x' })
      ;(await gate.acquire(0)).done({ kind: 'fatal', code: ERROR_CODES.MODEL_NOT_FOUND, message: 'x' })
      ;(await gate.acquire(0)).done({ kind: 'ok' })
    }
    expect(gate.tripped).toBeUndefined()
    gate.close()
  })

  it('counts network failures that mean a wrong region or endpoint only until a call has worked', async () => {
    const fatal = { kind: 'fatal', code: ERROR_CODES.MODEL_ERROR, message: 'cannot resolve the Bedrock endpoint (ENOTFOUND)', untilSuccess: true } as const
    const healthy = new RateController({ maxConcurrency: 8, now })
    ;(await healthy.acquire(0)).done({ kind: 'ok' })
    const burst = await Promise.all([healthy.acquire(0), healthy.acquire(0), healthy.acquire(0), healthy.acquire(0)])
    for (const permit of burst) permit.done(fatal) // a DNS blip in the middle of a run
    expect(healthy.tripped).toBeUndefined()
    healthy.close()

    const misconfigured = new RateController({ maxConcurrency: 8, now })
    const first = await Promise.all([misconfigured.acquire(0), misconfigured.acquire(0), misconfigured.acquire(0)])
    for (const permit of first) permit.done(fatal)
    expect(misconfigured.tripped?.message).toContain('ENOTFOUND')
    misconfigured.close()
  })

  it('an abort while waiting frees the place in the queue', async () => {
    const gate = new RateController({ maxConcurrency: 1, now })
    const held = await gate.acquire(0)
    const controller = new AbortController()
    const waiting = gate.acquire(0, controller.signal).catch((e: unknown) => e)
    controller.abort()
    expect(((await waiting) as PageError).code).toBe(ERROR_CODES.ABORTED)
    held.done({ kind: 'ok' })
    const next = await gate.acquire(0)
    expect(gate.stats().calls).toBe(2)
    next.done({ kind: 'ok' })
    gate.close()
  })
})

describe('Breaker', () => {
  it('trips on the threshold-th fatal error in a row, keeps the first message, and stays tripped', () => {
    const breaker = new Breaker(3)
    expect(breaker.onFatal({ code: ERROR_CODES.ACCESS_DENIED, message: 'first' })).toBeUndefined()
    expect(breaker.onFatal({ code: ERROR_CODES.ACCESS_DENIED, message: 'second' })).toBeUndefined()
    expect(breaker.onFatal({ code: ERROR_CODES.ACCESS_DENIED, message: 'third' })).toEqual({ code: 'ACCESS_DENIED', message: 'first' })
    // Reported once: later failures do not trip it again.
    expect(breaker.onFatal({ code: ERROR_CODES.ACCESS_DENIED, message: 'fourth' })).toBeUndefined()
    breaker.onSuccess()
    expect(breaker.tripped).toEqual({ code: 'ACCESS_DENIED', message: 'first' })
  })

  it('forgets a streak broken by a success, and ignores untilSuccess failures once a call worked', () => {
    const breaker = new Breaker(2)
    breaker.onFatal({ code: ERROR_CODES.MODEL_NOT_FOUND, message: 'x' })
    breaker.onSuccess()
    expect(breaker.onFatal({ code: ERROR_CODES.MODEL_NOT_FOUND, message: 'x' })).toBeUndefined()
    breaker.onSuccess()
    for (let i = 0; i < 5; i++) expect(breaker.onFatal({ code: ERROR_CODES.MODEL_ERROR, message: 'ENOTFOUND', untilSuccess: true })).toBeUndefined()
    expect(breaker.tripped).toBeUndefined()
  })
})

describe('outcomeOf', () => {
  const verdict = (code: ErrorCode, fatal: ErrorVerdict['fatal'], extra: Partial<ErrorVerdict> = {}): ErrorVerdict => ({ code, message: 'x', retryable: false, fatal, ...extra })

  it('tells the gate what the classifier said: throttling, cancellation, and errors that will repeat for every page', () => {
    expect(outcomeOf(verdict(ERROR_CODES.ACCESS_DENIED, 'always'))).toEqual({ kind: 'fatal', code: 'ACCESS_DENIED', message: 'x' })
    expect(outcomeOf(verdict(ERROR_CODES.MODEL_NOT_FOUND, 'always'))).toMatchObject({ kind: 'fatal' })
    expect(outcomeOf(verdict(ERROR_CODES.MODEL_VALIDATION, 'always', { message: 'The provided model identifier is invalid.' }))).toMatchObject({ kind: 'fatal' })
    expect(outcomeOf(verdict(ERROR_CODES.MODEL_ERROR, 'untilSuccess'))).toEqual({ kind: 'fatal', code: 'MODEL_ERROR', message: 'x', untilSuccess: true })
    expect(outcomeOf(verdict(ERROR_CODES.MODEL_VALIDATION, false, { message: 'Input is too long' }))).toEqual({ kind: 'failed' })
    expect(outcomeOf(verdict(ERROR_CODES.THROTTLED, false, { retryable: true, retryAfterMs: 500 }))).toEqual({ kind: 'throttled', retryAfterMs: 500 })
    expect(outcomeOf(verdict(ERROR_CODES.THROTTLED, false, { retryable: true }))).toEqual({ kind: 'throttled' })
    expect(outcomeOf(verdict(ERROR_CODES.MODEL_ERROR, false, { retryable: true }))).toEqual({ kind: 'failed' })
    expect(outcomeOf(verdict(ERROR_CODES.ABORTED, false))).toEqual({ kind: 'cancelled' })
  })

  it('reads only the verdict: a code alone makes nothing fatal', () => {
    expect(outcomeOf(verdict(ERROR_CODES.ACCESS_DENIED, false))).toEqual({ kind: 'failed' })
  })
})
