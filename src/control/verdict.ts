import { ERROR_CODES, type ErrorCode } from '../errors.js'

/**
 * What a provider's classifier says about one failed model call, as plain data: the retry
 * loop (`retry.ts`) and the rate controller's breaker (`gate.ts` → `breaker.ts`) read only
 * this. A provider plugs in by writing a `Classify` for its errors; nothing in `control/`
 * knows any provider. Plain data, so it survives structured clone (worker threads).
 */
export interface ErrorVerdict {
  /**
   * The stable code the page's record carries if no retry follows. The rate controller reads
   * two of them: THROTTLED (slow the run down) and ABORTED (nobody waits for the answer).
   */
  code: ErrorCode
  /** One line for the record: what failed and, where known, what to fix. Never a secret. */
  message: string
  /** Whether the same request may well succeed a moment later. */
  retryable: boolean
  /**
   * At most this many retries for this failure, whatever the retry policy allows: a reply that
   * is rarely repeated but billed each time deserves one more try, not five. Default: the policy's.
   */
  maxRetries?: number
  /**
   * Whether it will fail the same way for every page, which feeds the breaker: `always`
   * (credentials, model access, an unknown model); `untilSuccess`, only while no call of the
   * run has worked (an endpoint host that does not resolve is a mistyped region at the start
   * of a run, a DNS blip in the middle of one); `false`, a failure of this page or this moment.
   */
  fatal: false | 'always' | 'untilSuccess'
  /** The wait the server asked for (Retry-After), in ms. */
  retryAfterMs?: number
}

/** A provider's error classifier: anything its client throws, to a verdict. */
export type Classify = (error: unknown) => ErrorVerdict

/** The policies of a verdict: retry it, or not (both for this page alone). */
export const RETRY = { retryable: true, fatal: false } as const
export const NO_RETRY = { retryable: false, fatal: false } as const

/**
 * The verdicts a classifier gives one failed call, each carrying the server's `Retry-After`
 * (`retryAfterMs`) when it sent one: `verdict` with any code and policy, `transient` (a model
 * error worth retrying) and `fatal` (the same for every page: wrong credentials, no model
 * access, an unknown model).
 */
export function verdictsFor(retryAfterMs: number | undefined): {
  verdict: (code: ErrorCode, message: string, policy: Pick<ErrorVerdict, 'retryable' | 'fatal' | 'maxRetries'>) => ErrorVerdict
  transient: (message: string) => ErrorVerdict
  fatal: (code: ErrorCode, message: string) => ErrorVerdict
} {
  const verdict = (code: ErrorCode, message: string, policy: Pick<ErrorVerdict, 'retryable' | 'fatal' | 'maxRetries'>): ErrorVerdict => ({
    code,
    message,
    ...policy,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })
  return {
    verdict,
    transient: (message) => verdict(ERROR_CODES.MODEL_ERROR, message, RETRY),
    fatal: (code, message) => verdict(code, message, { retryable: false, fatal: 'always' }),
  }
}
