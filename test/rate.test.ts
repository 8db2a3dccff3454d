import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AimdLimit, outcomeOf, RateController, TokenBucket, markFatal, type Permit } from '../src/control/rate.js'
import { ERROR_CODES, PageError } from '../src/errors.js'

describe('TokenBucket', () => {
  it('starts full, refills continuously at rate/60 per second, and never holds more than its capacity', () => {
    const bucket = new TokenBucket(600, 5, 0) // 10 a second
    expect(bucket.level(0)).toBe(5)
    bucket.take(5, 0)
    expect(bucket.level(0)).toBe(0)
    expect(bucket.level(100)).toBeCloseTo(1, 10)
    expect(bucket.level(250)).toBeCloseTo(2.5, 10)
    expect(bucket.level(10_000)).toBe(5)
  })

  it('says how long until an amount is there, to the millisecond', () => {
    const bucket = new TokenBucket(600, 5, 0)
    bucket.take(5, 0)
    expect(bucket.waitMs(1, 0)).toBe(100)
    expect(bucket.waitMs(3, 0)).toBe(300)
    expect(bucket.waitMs(1, 100)).toBe(0)
    expect(bucket.waitMs(2, 150)).toBe(50)
  })

  it('lets a request bigger than the bucket through when full, and the debt holds the average rate', () => {
    const bucket = new TokenBucket(60_000, 1000, 0) // 1000 tokens a second
    expect(bucket.waitMs(5000, 0)).toBe(0)
    bucket.take(5000, 0)
    expect(bucket.level(0)).toBe(-4000)
    // The next small request waits for the debt to be repaid: 4.001 s at 1000 a second.
    expect(bucket.waitMs(1, 0)).toBe(4001)
  })

  it('corrects an estimate once the real cost is known, within the capacity', () => {
    const bucket = new TokenBucket(60_000, 1000, 0)
    bucket.take(800, 0)
    bucket.adjust(800 - 300, 0) // estimated 800, used 300
    expect(bucket.level(0)).toBe(700)
    bucket.adjust(10_000, 0)
    expect(bucket.level(0)).toBe(1000)
    bucket.adjust(-1500, 0) // used more than estimated
    expect(bucket.level(0)).toBe(-500)
  })
})

describe('AimdLimit', () => {
  it('cuts multiplicatively on throttling, once for the calls sent before the cut', () => {
    const limit = new AimdLimit({ max: 20 })
    expect(limit.value).toBe(20)
    expect(limit.onThrottle(0, 100)).toBe(true) // sent at 0, throttled at 100
    expect(limit.value).toBe(14) // 20 × 0.7
    expect(limit.onThrottle(10, 120)).toBe(false) // sent before the cut: same burst
    expect(limit.value).toBe(14)
    expect(limit.onThrottle(150, 200)).toBe(true) // sent after the cut: the cut was not enough
    expect(limit.value).toBe(9) // 14 × 0.7 = 9.8
  })

  it('grows by one per four windows of successes, never past the ceiling, never under the floor', () => {
    const limit = new AimdLimit({ max: 10, initial: 4 })
    for (let i = 0; i < 16; i++) limit.onSuccess()
    expect(limit.value).toBe(4) // 4 + 16 × 1/(4.x × 4), just under 5
    for (let i = 0; i < 2; i++) limit.onSuccess()
    expect(limit.value).toBe(5)
    for (let i = 0; i < 1000; i++) limit.onSuccess()
    expect(limit.value).toBe(10)
    for (let t = 0; t < 50; t++) limit.onThrottle(t * 1000, t * 1000 + 1)
    expect(limit.value).toBe(1)
  })
})

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

  it('keeps at most the in-flight limit, and cuts it when calls are throttled', async () => {
    const gate = new RateController({ maxConcurrency: 10, now })
    const permits: Permit[] = []
    for (let i = 0; i < 30; i++) void gate.acquire(0).then((p) => permits.push(p), ignore)
    await advance(0)
    expect(permits).toHaveLength(10)
    // Four throttles arrive together: one cut (the cool-down), 10 → 7.
    for (const permit of permits.splice(0, 4)) permit.done({ kind: 'throttled' })
    await advance(0)
    expect(gate.stats()).toMatchObject({ throttled: 4, cuts: 1, limit: 7 })
    // 6 still in flight under a limit of 7: exactly one more was let in.
    expect(permits).toHaveLength(7)
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

describe('outcomeOf', () => {
  it('tells the gate which errors will repeat for every page', () => {
    expect(outcomeOf(new PageError(ERROR_CODES.ACCESS_DENIED, 'x'))).toMatchObject({ kind: 'fatal', code: 'ACCESS_DENIED' })
    expect(outcomeOf(new PageError(ERROR_CODES.MODEL_NOT_FOUND, 'x'))).toMatchObject({ kind: 'fatal' })
    expect(outcomeOf(markFatal(new PageError(ERROR_CODES.MODEL_VALIDATION, 'The provided model identifier is invalid.')))).toMatchObject({ kind: 'fatal' })
    expect(outcomeOf(new PageError(ERROR_CODES.MODEL_VALIDATION, 'Input is too long'))).toEqual({ kind: 'failed' })
    expect(outcomeOf(new PageError(ERROR_CODES.THROTTLED, 'x', { retryAfterMs: 500 }))).toEqual({ kind: 'throttled', retryAfterMs: 500 })
    expect(outcomeOf(new PageError(ERROR_CODES.MODEL_ERROR, '503'))).toEqual({ kind: 'failed' })
    expect(outcomeOf(new PageError(ERROR_CODES.ABORTED, 'x'))).toEqual({ kind: 'cancelled' })
  })
})
