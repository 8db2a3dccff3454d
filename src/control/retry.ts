import { ERROR_CODES, PageError } from '../errors.js'
import type { ErrorCode } from '../errors.js'

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

/** Codes worth another attempt: the same request may well succeed a moment later. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set([ERROR_CODES.THROTTLED, ERROR_CODES.MODEL_ERROR])

/**
 * MODEL_ERROR covers both transient failures (5xx, model timeouts, resets) and replies that
 * a retry is unlikely to fix (an empty or filtered reply). The classifier marks the latter
 * here, so that the decision stays in this module instead of leaking into call sites.
 */
const retryLimits = new WeakMap<PageError, number>()

/**
 * Marks `error` as retryable at most `retries` more times in total, whatever the policy
 * allows (0: never). Returns the same error, for `throw limitRetries(new PageError(…), 1)`.
 */
export function limitRetries(error: PageError, retries: number): PageError {
  retryLimits.set(error, Math.max(0, Math.floor(retries)))
  return error
}

/** Whether another attempt could succeed. THROTTLED and MODEL_ERROR are; validation, access, not-found and aborts never are. */
export function isRetryable(error: PageError): boolean {
  return RETRYABLE_CODES.has(error.code) && retryLimits.get(error) !== 0
}

/**
 * How long to wait before the next attempt, or null to give up. `attempt` is the 1-based
 * attempt that just failed. Full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): spreads clients that were throttled together, so they do not come back together.
 * A server's `Retry-After` wins over the computed backoff, capped at `maxRetryAfterMs`.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  error: PageError,
  random: () => number = Math.random,
): number | null {
  if (!isRetryable(error)) return null
  const limit = Math.min(policy.retries, retryLimits.get(error) ?? Infinity)
  if (attempt > limit) return null
  if (error.retryAfterMs !== undefined && error.retryAfterMs >= 0) {
    return Math.min(error.retryAfterMs, policy.maxRetryAfterMs)
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
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

/**
 * Calls `fn` until it succeeds or `retryDelayMs` gives up, sleeping in between. Only
 * `PageError`s are retried; anything else is a bug and is rethrown at once. The final
 * `PageError` carries the number of attempts made.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted && attempt === 1) throw aborted(signal, 1)
    try {
      return await fn(attempt)
    } catch (error) {
      if (!(error instanceof PageError)) throw error
      error.attempts = attempt
      const delay = retryDelayMs(policy, attempt, error, random)
      if (delay === null) throw error
      try {
        await sleep(delay, signal)
      } catch {
        throw aborted(signal, attempt, error)
      }
    }
  }
}

function aborted(signal: AbortSignal | undefined, attempts: number, last?: PageError): PageError {
  const message = last === undefined ? 'cancelled before the model call' : `cancelled while waiting to retry after ${last.code}`
  return new PageError(ERROR_CODES.ABORTED, message, { cause: last ?? signal?.reason, attempts: Math.max(1, attempts) })
}
