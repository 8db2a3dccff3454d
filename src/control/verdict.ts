import type { ErrorCode } from '../errors.js'

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
