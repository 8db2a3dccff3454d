import { ERROR_CODES, PageError } from '../errors.js'
import type { ErrorVerdict } from './verdict.js'

/** When and how long to retry a failed provider call. Plain data: workers receive it by structured clone. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. Default 5. */
  retries: number
  /** Upper bound of the first backoff, doubled on every retry, in ms. Default 500. */
  baseDelayMs: number
  /** Cap of the exponential backoff, in ms. Default 20 000. */
  maxDelayMs: number
  /** Cap of a server's `Retry-After`, in ms: a server asking for an hour does not stall the run. Default 60 000. */
  maxRetryAfterMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  retries: 5,
  baseDelayMs: 500,
  maxDelayMs: 20 * 1000, // 20 s
  maxRetryAfterMs: 60 * 1000, // 60 s
})

/**
 * How long to wait before the next attempt, or null to give up. `attempt` is the 1-based
 * attempt that just failed; `verdict` is its classifier's. Full jitter (AWS Architecture
 * Blog, "Exponential Backoff And Jitter"): spreads clients that were throttled together, so
 * they do not come back together. A server's `Retry-After` wins over the computed backoff,
 * capped at `maxRetryAfterMs`.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, verdict: ErrorVerdict, random: () => number = Math.random, baseDelayMs = policy.baseDelayMs): number | null {
  if (!verdict.retryable) return null
  const limit = Math.min(policy.retries, verdict.maxRetries ?? Infinity)
  if (attempt > limit) return null
  if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs >= 0) {
    return Math.min(verdict.retryAfterMs, policy.maxRetryAfterMs)
  }
  const ceiling = Math.min(policy.maxDelayMs, Math.min(baseDelayMs, policy.baseDelayMs) * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts, and never leaves a timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** One attempt's result: errors are data here; `cause` is what the provider's client threw, kept on the final error. */
/** `baseDelayMs`: a first backoff shorter than the policy's for this failure (a throttle the rate controller judged random). */
export type Attempt<T> = { ok: true; value: T } | { ok: false; verdict: ErrorVerdict; cause?: unknown; baseDelayMs?: number | undefined }

/**
 * Runs `attempt` until it succeeds or `retryDelayMs` gives up, sleeping in between. A failed
 * attempt is a verdict, not an exception: the final one becomes a `PageError` carrying its
 * code, message and the number of attempts made. Anything `attempt` throws is a bug and is
 * rethrown at once.
 */
export async function withRetry<T>(
  attempt: (attempt: number) => Promise<Attempt<T>>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  random: () => number = Math.random,
): Promise<T> {
  for (let n = 1; ; n++) {
    if (signal?.aborted && n === 1) throw aborted(signal, 1)
    const result = await attempt(n)
    if (result.ok) return result.value
    const { verdict } = result
    const last = new PageError(verdict.code, verdict.message, { cause: result.cause, attempts: n })
    const delay = retryDelayMs(policy, n, verdict, random, result.baseDelayMs)
    if (delay === null) throw last
    try {
      await sleep(delay, signal)
    } catch {
      throw aborted(signal, n, last)
    }
  }
}

function aborted(signal: AbortSignal | undefined, attempts: number, last?: PageError): PageError {
  const message = last === undefined ? 'cancelled before the model call' : `cancelled while waiting to retry after ${last.code}`
  return new PageError(ERROR_CODES.ABORTED, message, { cause: last ?? signal?.reason, attempts: Math.max(1, attempts) })
}
