import { ERROR_CODES, PageError } from '../errors.js'
import { outcomeOf, type CallGate, type Permit } from './gate.js'
import { withRetry, type RetryPolicy } from './retry.js'
import type { LearnedLimits } from './limits.js'
import type { Classify, ErrorVerdict } from './verdict.js'

/**
 * One model request's result, as the provider's request function returns it. A reply that
 * is itself a failure (empty, filtered) is `ok: false` with its verdict; what the client
 * throws (HTTP errors, resets, timeouts) goes to the provider's `Classify` instead.
 */
export type CallReply<T> =
  /** `tokens`: input + output tokens the provider billed, when it says; `limits`: the quota its reply stated. */
  | { ok: true; value: T; tokens?: number | undefined; limits?: LearnedLimits | undefined }
  | { ok: false; verdict: ErrorVerdict }

export interface CallOptions {
  retry: RetryPolicy
  /** The run's rate controller, asked before every attempt; undefined: no rate control. */
  gate?: CallGate | undefined
  /** What the call is charged against `--tpm` until its reply's usage corrects it: the prompt and the reply's ceiling. Default 0. */
  estimatedTokens?: number
  signal?: AbortSignal | undefined
  /** Source of the backoff jitter, for tests. Default `Math.random`. */
  random?: () => number
}

/**
 * Makes a model call under the run's policies, the same for every provider: each attempt
 * waits for the gate, then `request` runs; what it throws is classified by the provider's
 * `classify`, the gate learns the outcome (throttling, breaker), and the retry policy
 * decides whether and when to try again. A provider is a request function and a classifier.
 * Throws a `PageError` with the last verdict's code, or NOT_ATTEMPTED / ABORTED when the
 * gate refuses or the signal aborts.
 */
export async function callWithPolicy<T>(
  request: (signal: AbortSignal | undefined) => Promise<CallReply<T>>,
  classify: Classify,
  options: CallOptions,
): Promise<{ value: T; attempts: number }> {
  const { gate, signal } = options
  let attempts = 0
  const value = await withRetry<T>(
    async (attempt) => {
      attempts = attempt
      let permit: Permit | undefined
      try {
        permit = await gate?.acquire(options.estimatedTokens ?? 0, signal)
      } catch (error) {
        // The breaker tripped or the caller gave up while waiting: no call was made, and another attempt would be refused too.
        if (!(error instanceof PageError)) throw error
        return { ok: false, verdict: { code: error.code, message: error.message, retryable: false, fatal: false }, cause: error }
      }
      let reply: CallReply<T>
      try {
        reply = await request(signal)
      } catch (error) {
        // An abort surfaces as whatever the client throws for it; the signal says what it was.
        const verdict = signal?.aborted === true ? ABORTED_DURING_CALL : classify(error)
        permit?.done(outcomeOf(verdict))
        return { ok: false, verdict, cause: error, baseDelayMs: throttleBackoff(gate, verdict) }
      }
      if (!reply.ok) {
        permit?.done(outcomeOf(reply.verdict))
        return { ...reply, baseDelayMs: throttleBackoff(gate, reply.verdict) }
      }
      permit?.done({ kind: 'ok', ...(reply.tokens === undefined ? {} : { tokens: reply.tokens }), ...(reply.limits === undefined ? {} : { limits: reply.limits }) })
      return { ok: true, value: reply.value }
    },
    options.retry,
    signal,
    options.random,
  )
  return { value, attempts }
}

/** The gate's shorter backoff for a throttle, asked after the gate has learned of it. */
function throttleBackoff(gate: CallGate | undefined, verdict: ErrorVerdict): number | undefined {
  return verdict.code === ERROR_CODES.THROTTLED ? gate?.throttleBackoffMs?.() : undefined
}

const ABORTED_DURING_CALL: ErrorVerdict = Object.freeze({ code: ERROR_CODES.ABORTED, message: 'cancelled during the model call', retryable: false, fatal: false })
