import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY_POLICY, retryDelayMs, sleep, withRetry } from '../src/control/retry.js'
import type { Attempt, RetryPolicy } from '../src/control/retry.js'
import type { ErrorVerdict } from '../src/control/verdict.js'
import { ERROR_CODES, PageError } from '../src/errors.js'
import type { ErrorCode } from '../src/errors.js'

const policy: RetryPolicy = { retries: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 }
const throttled = (options: { retryAfterMs?: number } = {}): ErrorVerdict => ({ code: ERROR_CODES.THROTTLED, message: 'ThrottlingException', retryable: true, fatal: false, ...options })
const failure = (verdict: ErrorVerdict): Attempt<never> => ({ ok: false, verdict })
const almostOne = (): number => 0.999_999

describe('retryDelayMs', () => {
  it('waits a random share of base × 2^(attempt-1), never more', () => {
    expect(retryDelayMs(policy, 1, throttled(), () => 0)).toBe(0)
    expect(retryDelayMs(policy, 1, throttled(), () => 0.5)).toBe(250)
    expect(retryDelayMs(policy, 1, throttled(), almostOne)).toBeLessThan(500)
    expect(retryDelayMs(policy, 3, throttled(), () => 0.5)).toBe(1000)
    expect(retryDelayMs(policy, 3, throttled(), almostOne)).toBeLessThan(2000)
  })

  it('caps the exponential ceiling at maxDelayMs', () => {
    const patient = { ...policy, retries: 20 }
    expect(retryDelayMs(patient, 10, throttled(), () => 0.5)).toBe(10_000)
    expect(retryDelayMs(patient, 20, throttled(), () => 0.5)).toBe(10_000)
  })

  it('lets a server Retry-After win over the backoff', () => {
    expect(retryDelayMs(policy, 1, throttled({ retryAfterMs: 3000 }), () => 0)).toBe(3000)
  })

  it('caps a server Retry-After at maxRetryAfterMs', () => {
    expect(retryDelayMs(policy, 1, throttled({ retryAfterMs: 3_600_000 }), () => 0)).toBe(60_000)
  })

  it('gives up once the policy retries are spent', () => {
    expect(retryDelayMs(policy, 5, throttled(), () => 0.5)).not.toBeNull()
    expect(retryDelayMs(policy, 6, throttled(), () => 0.5)).toBeNull()
    expect(retryDelayMs({ ...policy, retries: 0 }, 1, throttled(), () => 0.5)).toBeNull()
  })

  it('never retries what the classifier calls not retryable, whatever the code or Retry-After', () => {
    const codes: ErrorCode[] = [ERROR_CODES.MODEL_VALIDATION, ERROR_CODES.ACCESS_DENIED, ERROR_CODES.MODEL_NOT_FOUND, ERROR_CODES.ABORTED, ERROR_CODES.THROTTLED, ERROR_CODES.MODEL_ERROR]
    for (const code of codes) {
      expect(retryDelayMs(policy, 1, { code, message: 'no', retryable: false, fatal: false, retryAfterMs: 10 }, () => 0.5)).toBeNull()
    }
  })

  it('retries only as often as the classifier allows', () => {
    const modelError = (maxRetries?: number): ErrorVerdict => ({ code: ERROR_CODES.MODEL_ERROR, message: 'empty reply', retryable: true, fatal: false, ...(maxRetries === undefined ? {} : { maxRetries }) })
    expect(retryDelayMs(policy, 1, modelError(1), () => 0.5)).toBe(250)
    expect(retryDelayMs(policy, 2, modelError(1), () => 0.5)).toBeNull()
    expect(retryDelayMs(policy, 1, modelError(0), () => 0.5)).toBeNull()
    expect(retryDelayMs(policy, 5, modelError(), () => 0.5)).not.toBeNull()
    // The policy's retries cap a classifier that allows more.
    expect(retryDelayMs({ ...policy, retries: 2 }, 3, modelError(10), () => 0.5)).toBeNull()
  })

  it('reads a verdict that crossed a thread boundary exactly as the original', () => {
    const verdict = throttled({ retryAfterMs: 1500 })
    expect(structuredClone(verdict)).toEqual(verdict)
    expect(retryDelayMs(policy, 1, structuredClone(verdict))).toBe(1500)
  })

  it('has the documented defaults', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ retries: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 60_000 })
  })
})

describe('sleep', () => {
  it('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController()
    const started = performance.now()
    const pending = sleep(10_000, controller.signal)
    setTimeout(() => controller.abort(new Error('stop')), 10)
    await expect(pending).rejects.toThrow('stop')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('rejects at once when the signal is already aborted', async () => {
    await expect(sleep(10_000, AbortSignal.abort(new Error('already')))).rejects.toThrow('already')
  })
})

describe('withRetry', () => {
  const quick: RetryPolicy = { retries: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 10 }

  it('returns the first success and passes the attempt number', async () => {
    const seen: number[] = []
    const result = await withRetry(async (attempt) => {
      seen.push(attempt)
      return attempt < 3 ? failure(throttled()) : { ok: true, value: 'done' }
    }, quick)
    expect(result).toBe('done')
    expect(seen).toEqual([1, 2, 3])
  })

  it('gives up after retries + 1 attempts and records them on the error', async () => {
    let calls = 0
    const error = await withRetry(async () => {
      calls++
      return failure(throttled())
    }, quick).catch((e: unknown) => e)
    expect(calls).toBe(4)
    expect(error).toBeInstanceOf(PageError)
    expect((error as PageError).code).toBe(ERROR_CODES.THROTTLED)
    expect((error as PageError).attempts).toBe(4)
    expect((error as PageError).message).toBe('ThrottlingException')
  })

  it('keeps what the provider threw as the cause of the final error', async () => {
    const thrown = new Error('socket hang up')
    const error = await withRetry(async () => ({ ok: false, verdict: { code: ERROR_CODES.MODEL_ERROR, message: 'reset', retryable: false, fatal: false }, cause: thrown }), quick).catch((e: unknown) => e)
    expect((error as PageError).cause).toBe(thrown)
  })

  it('rethrows at once what the attempt itself throws: a bug, not a model failure', async () => {
    let calls = 0
    const bug = new TypeError('x is undefined')
    const error = await withRetry(async () => {
      calls++
      throw bug
    }, quick).catch((e: unknown) => e)
    expect(error).toBe(bug)
    expect(calls).toBe(1)
  })

  it('does not retry a non-retryable error', async () => {
    let calls = 0
    const error = await withRetry(async () => {
      calls++
      return failure({ code: ERROR_CODES.MODEL_VALIDATION, message: 'bad request', retryable: false, fatal: false })
    }, quick).catch((e: unknown) => e)
    expect(calls).toBe(1)
    expect((error as PageError).attempts).toBe(1)
  })

  it('turns an abort during the backoff into ABORTED without another attempt', async () => {
    const controller = new AbortController()
    let calls = 0
    const pending = withRetry(
      async () => {
        calls++
        setTimeout(() => controller.abort(), 10)
        return failure(throttled({ retryAfterMs: 10_000 }))
      },
      { ...quick, maxRetryAfterMs: 10_000 },
      controller.signal,
    )
    const error = await pending.catch((e: unknown) => e)
    expect((error as PageError).code).toBe(ERROR_CODES.ABORTED)
    expect((error as PageError).attempts).toBe(1)
    expect(calls).toBe(1)
  })
})
