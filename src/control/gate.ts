import { ERROR_CODES } from '../errors.js'
import type { ErrorCode } from '../errors.js'
import type { LearnedLimits } from './limits.js'
import type { ErrorVerdict } from './verdict.js'

/** How a model call ended, as the gate needs to know it. Plain data: it crosses threads. */
export type CallOutcome =
  /**
   * Answered. `tokens`: input + output tokens actually used, to correct the estimate.
   * `limits`: the quota the server stated in the reply, adopted where the user set none.
   */
  | { kind: 'ok'; tokens?: number; limits?: LearnedLimits }
  /** Throttled (429 or a quota error). `retryAfterMs`: the server's Retry-After. */
  | { kind: 'throttled'; retryAfterMs?: number }
  /** Failed in a way that may not repeat (5xx, reset, timeout, invalid request). */
  | { kind: 'failed' }
  /**
   * Failed in a way that will repeat for every page: feeds the breaker. `untilSuccess`: only
   * while no call of the run has succeeded (see `ErrorVerdict.fatal`).
   */
  | { kind: 'fatal'; code: ErrorCode; message: string; untilSuccess?: boolean }
  /** Never answered: the caller gave up (abort). Frees the slot and says nothing about the server. */
  | { kind: 'cancelled' }

/** Leave to make one model call. `done` must be called exactly once; later calls are ignored. */
export interface Permit {
  done(outcome: CallOutcome): void
}

/** What a summarizer asks before each model call (every retry included). */
export interface CallGate {
  /**
   * Resolves when the call may be sent: within the in-flight limit and the rate buckets.
   * Rejects with a `PageError` NOT_ATTEMPTED once the breaker has tripped, or ABORTED when
   * `signal` aborts while waiting.
   */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit>
  /**
   * The ceiling of the backoff before retrying a throttled call, when the gate knows better
   * than the retry policy (throttles that look random need no long rest); undefined: the policy's.
   */
  throttleBackoffMs?(): number | undefined
}

/** What a failed call tells the gate, read from its classifier's verdict. */
export function outcomeOf(verdict: ErrorVerdict): CallOutcome {
  if (verdict.code === ERROR_CODES.ABORTED) return { kind: 'cancelled' }
  if (verdict.code === ERROR_CODES.THROTTLED) return verdict.retryAfterMs === undefined ? { kind: 'throttled' } : { kind: 'throttled', retryAfterMs: verdict.retryAfterMs }
  if (verdict.fatal !== false) return { kind: 'fatal', code: verdict.code, message: verdict.message, ...(verdict.fatal === 'untilSuccess' ? { untilSuccess: true } : {}) }
  return { kind: 'failed' }
}
