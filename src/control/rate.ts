import { ERROR_CODES, PageError, type ErrorCode } from '../errors.js'

/**
 * Rate and concurrency control for model calls, in one place for the whole run: every
 * thread's calls pass through the one `RateController` on the main thread (workers reach it
 * over a MessagePort, see gate-port.ts), so quotas are shared, not multiplied per thread.
 *
 * Three mechanisms, each answering a different failure users hit:
 * - token buckets for `--rpm` and `--tpm` (the quota, when the user knows it);
 * - an AIMD in-flight limit (when they don't): halve-ish on throttling, +1 per window of
 *   successes, `--concurrency` as the ceiling; a run settles near the real quota instead
 *   of retrying into a wall of 429s;
 * - a breaker for errors that repeat for every page (access denied, unknown model, bad
 *   credentials or region): after a few, the run stops with one message.
 */

/** How a model call ended, as the gate needs to know it. Plain data: it crosses threads. */
export type CallOutcome =
  /** Answered. `tokens`: input + output tokens actually used, to correct the estimate. */
  | { kind: 'ok'; tokens?: number }
  /** Throttled (429 or a quota error). `retryAfterMs`: the server's Retry-After. */
  | { kind: 'throttled'; retryAfterMs?: number }
  /** Failed in a way that may not repeat (5xx, reset, timeout, invalid request). */
  | { kind: 'failed' }
  /**
   * Failed in a way that will repeat for every page: feeds the breaker. `untilSuccess`: only
   * while no call of the run has succeeded (a host that does not resolve is a mistyped region
   * at the start of a run, but a network blip in the middle of one).
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
}

/**
 * A token bucket: `ratePerMinute` tokens a minute, refilled continuously, holding at most
 * `capacity`. A request larger than the capacity is let through when the bucket is full and
 * leaves it in debt, so the average rate still holds and no request waits forever.
 */
export class TokenBucket {
  readonly ratePerMs: number
  readonly capacity: number
  #level: number
  #updatedAt: number

  constructor(ratePerMinute: number, capacity: number, now: number) {
    if (!(ratePerMinute > 0) || !(capacity > 0)) throw new RangeError('a token bucket needs a positive rate and capacity')
    this.ratePerMs = ratePerMinute / 60_000
    this.capacity = capacity
    this.#level = capacity
    this.#updatedAt = now
  }

  level(now: number): number {
    this.#refill(now)
    return this.#level
  }

  /** Milliseconds until `amount` can be taken (0: now). */
  waitMs(amount: number, now: number): number {
    this.#refill(now)
    const needed = Math.min(amount, this.capacity)
    if (this.#level >= needed) return 0
    return Math.ceil((needed - this.#level) / this.ratePerMs)
  }

  /** Takes `amount` (call after `waitMs` returned 0); the level may go below zero. */
  take(amount: number, now: number): void {
    this.#refill(now)
    this.#level -= amount
  }

  /** Gives back (positive) or charges more (negative) once the real cost is known. */
  adjust(amount: number, now: number): void {
    this.#refill(now)
    this.#level = Math.min(this.capacity, this.#level + amount)
  }

  #refill(now: number): void {
    if (now > this.#updatedAt) {
      this.#level = Math.min(this.capacity, this.#level + (now - this.#updatedAt) * this.ratePerMs)
      this.#updatedAt = now
    }
  }
}

/**
 * Additive-increase, multiplicative-decrease on the number of calls in flight, as TCP does
 * with its window: ×`decrease` on throttling, so that one burst of 429s from calls sent together counts as one signal, not twenty (a throttled call sent before the last cut does not cut
 * again: TCP's one cut per round trip); and +1 after
 * `growthWindows` windows of successes (`limit` successes each) — slower than TCP's one
 * window, because a provider's per-minute bucket absorbs an overshoot for seconds before it
 * throttles, and fast growth in that time would overshoot by far. Only successes of calls
 * that found the limit full count: a limit nobody reaches says nothing about the quota.
 */
export class AimdLimit {
  readonly min: number
  readonly max: number
  readonly decrease: number
  readonly growthWindows: number
  #limit: number
  #lastCutAt = Number.NEGATIVE_INFINITY

  constructor(options: { max: number; min?: number; initial?: number; decrease?: number; growthWindows?: number }) {
    this.max = options.max
    this.min = Math.min(options.min ?? 1, options.max)
    this.decrease = options.decrease ?? AIMD_DECREASE
    this.growthWindows = options.growthWindows ?? AIMD_GROWTH_WINDOWS
    this.#limit = Math.max(this.min, Math.min(this.max, options.initial ?? this.max))
  }

  /** Calls allowed in flight now. */
  get value(): number {
    return Math.max(this.min, Math.floor(this.#limit))
  }

  onSuccess(): void {
    this.#limit = Math.min(this.max, this.#limit + 1 / (Math.max(1, this.#limit) * this.growthWindows))
  }

  /**
   * A call sent at `sentAt` was throttled. Returns whether the limit was cut: not when the
   * call was sent before the last cut, since the cut already answered the burst it was in.
   */
  onThrottle(sentAt: number, now: number): boolean {
    if (sentAt <= this.#lastCutAt) return false
    this.#limit = Math.max(this.min, this.#limit * this.decrease)
    this.#lastCutAt = now
    return true
  }
}

/** A gentler cut than TCP's 0.5: the quota is fixed, so the limit only needs to step under it. */
const AIMD_DECREASE = 0.7
/** Windows of successes per +1. */
const AIMD_GROWTH_WINDOWS = 4
/** Fatal errors in a row (with no success between) that stop the run. */
export const BREAKER_THRESHOLD = 3
/** Burst the client allows itself, in seconds of quota: half of Bedrock's, so arrival jitter never overdraws the server's bucket. */
const CLIENT_BURST_SECONDS = 0.5
/** Longest pause a Retry-After may impose on every call of the run. */
const MAX_HOLD_MS = 60 * 1000 // 60 s

export interface RateControlOptions {
  /** Ceiling of calls in flight (`--concurrency`). */
  maxConcurrency: number
  /** Requests per minute (`--rpm`), shared by every thread. */
  rpm?: number | undefined
  /** Input + output tokens per minute (`--tpm`). */
  tpm?: number | undefined
  /** Fatal errors in a row that trip the breaker. Default 3. */
  breakerThreshold?: number
  /** Clock in ms, for tests. Default `performance.now`. */
  now?: () => number
}

export interface RateStats {
  /** Calls granted (every attempt counts). */
  calls: number
  throttled: number
  /** Times the in-flight limit was cut. */
  cuts: number
  /** The in-flight limit now. */
  limit: number
  maxInFlight: number
}

export interface BreakerTrip {
  code: ErrorCode
  /** The first fatal error's message: it names what to fix. */
  message: string
}

interface Waiter {
  tokens: number
  resolve: (permit: Permit) => void
  reject: (error: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export class RateController implements CallGate {
  readonly #now: () => number
  readonly #limit: AimdLimit
  readonly #rpm: TokenBucket | undefined
  readonly #tpm: TokenBucket | undefined
  readonly #threshold: number
  readonly #queue: Waiter[] = []
  readonly #tripListeners: Array<(trip: BreakerTrip) => void> = []
  #inFlight = 0
  #fatalInARow = 0
  #succeeded = false
  #firstFatal: BreakerTrip | undefined
  #trip: BreakerTrip | undefined
  #holdUntil = 0
  #timer: NodeJS.Timeout | undefined
  readonly #stats = { calls: 0, throttled: 0, cuts: 0, maxInFlight: 0 }

  constructor(options: RateControlOptions) {
    this.#now = options.now ?? (() => performance.now())
    this.#limit = new AimdLimit({ max: options.maxConcurrency })
    const now = this.#now()
    if (options.rpm !== undefined) this.#rpm = new TokenBucket(options.rpm, Math.max(1, (options.rpm / 60) * CLIENT_BURST_SECONDS), now)
    if (options.tpm !== undefined) this.#tpm = new TokenBucket(options.tpm, Math.max(1, (options.tpm / 60) * CLIENT_BURST_SECONDS), now)
    this.#threshold = options.breakerThreshold ?? BREAKER_THRESHOLD
  }

  /** The breaker's trip, once it has tripped. */
  get tripped(): BreakerTrip | undefined {
    return this.#trip
  }

  onTrip(listener: (trip: BreakerTrip) => void): void {
    this.#tripListeners.push(listener)
  }

  stats(): RateStats {
    return { ...this.#stats, limit: this.#limit.value }
  }

  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit> {
    if (this.#trip !== undefined) return Promise.reject(notAttempted(this.#trip))
    if (signal?.aborted) return Promise.reject(cancelled())
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { tokens: Math.max(0, estimatedTokens), resolve, reject, signal, onAbort: undefined }
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const at = this.#queue.indexOf(waiter)
          if (at >= 0) this.#queue.splice(at, 1)
          reject(cancelled())
          this.#schedule()
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.#queue.push(waiter)
      this.#schedule()
    })
  }

  /** Stops timers and rejects every waiter: the run is over. */
  close(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (const waiter of this.#queue.splice(0)) this.#settle(waiter, () => waiter.reject(cancelled()))
  }

  /** Grants waiters in arrival order while the limit and the buckets allow; else sets one timer. */
  #schedule(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (;;) {
      const waiter = this.#queue[0]
      if (waiter === undefined) return
      if (this.#inFlight >= this.#limit.value) return // a finishing call schedules again
      const now = this.#now()
      const waitMs = Math.max(this.#holdUntil - now, this.#rpm?.waitMs(1, now) ?? 0, this.#tpm?.waitMs(waiter.tokens, now) ?? 0)
      if (waitMs > 0) {
        // Not unref'd: with the inline strategies nothing else may keep the process alive
        // while every page waits here. close() clears it.
        this.#timer = setTimeout(() => this.#schedule(), waitMs)
        return
      }
      this.#queue.shift()
      this.#rpm?.take(1, now)
      this.#tpm?.take(waiter.tokens, now)
      this.#inFlight += 1
      this.#stats.calls += 1
      this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#inFlight)
      const permit = this.#permit(waiter.tokens, now, this.#inFlight >= this.#limit.value)
      this.#settle(waiter, () => waiter.resolve(permit))
    }
  }

  #settle(waiter: Waiter, action: () => void): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    action()
  }

  #permit(estimatedTokens: number, startedAt: number, atLimit: boolean): Permit {
    let open = true
    return {
      done: (outcome) => {
        if (!open) return
        open = false
        this.#inFlight -= 1
        this.#finish(outcome, estimatedTokens, startedAt, atLimit)
        this.#schedule()
      },
    }
  }

  #finish(outcome: CallOutcome, estimatedTokens: number, startedAt: number, atLimit: boolean): void {
    const now = this.#now()
    switch (outcome.kind) {
      case 'ok': {
        if (atLimit) this.#limit.onSuccess()
        this.#succeeded = true
        this.#fatalInARow = 0
        this.#firstFatal = undefined
        if (outcome.tokens !== undefined) this.#tpm?.adjust(estimatedTokens - outcome.tokens, now)
        return
      }
      case 'throttled': {
        this.#stats.throttled += 1
        if (this.#limit.onThrottle(startedAt, now)) this.#stats.cuts += 1
        if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0) {
          this.#holdUntil = Math.max(this.#holdUntil, now + Math.min(outcome.retryAfterMs, MAX_HOLD_MS))
        }
        return
      }
      case 'fatal': {
        if (outcome.untilSuccess === true && this.#succeeded) return
        this.#fatalInARow += 1
        this.#firstFatal ??= { code: outcome.code, message: outcome.message }
        if (this.#fatalInARow >= this.#threshold && this.#trip === undefined) this.#tripBreaker(this.#firstFatal)
        return
      }
      case 'failed':
      case 'cancelled':
        // A call that never ran to completion used no output tokens; its input estimate stays
        // charged, as a provider charges a request it rejected late.
        return
    }
  }

  #tripBreaker(trip: BreakerTrip): void {
    this.#trip = trip
    for (const waiter of this.#queue.splice(0)) this.#settle(waiter, () => waiter.reject(notAttempted(trip)))
    for (const listener of this.#tripListeners) listener(trip)
  }
}

function notAttempted(trip: BreakerTrip): PageError {
  return new PageError(ERROR_CODES.NOT_ATTEMPTED, notAttemptedMessage(trip))
}

/** The one message of NOT_ATTEMPTED records, whether the page was waiting for a model call or never started. */
export function notAttemptedMessage(trip: BreakerTrip): string {
  return `not attempted: the run stopped after repeated ${trip.code} errors (${trip.message}); fix the cause and run again with --resume`
}

function cancelled(): PageError {
  return new PageError(ERROR_CODES.ABORTED, 'cancelled while waiting for a model call slot')
}

const fatalErrors = new WeakMap<PageError, { untilSuccess: boolean }>()

/**
 * Marks an error that will repeat for every page although its code does not say so: a model
 * id Bedrock calls invalid; with `untilSuccess`, network failures that mean a wrong region or
 * endpoint only as long as no call has worked yet (the host does not resolve, the port
 * refuses, the certificate is not trusted). Returns the same error.
 */
export function markFatal(error: PageError, options: { untilSuccess?: boolean } = {}): PageError {
  fatalErrors.set(error, { untilSuccess: options.untilSuccess === true })
  return error
}

/** Codes that mean the same call will fail for every page: the account, model or credentials are wrong. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set([ERROR_CODES.ACCESS_DENIED, ERROR_CODES.MODEL_NOT_FOUND])

/** What a failed call tells the gate. */
export function outcomeOf(error: unknown): CallOutcome {
  if (!(error instanceof PageError)) return { kind: 'failed' }
  if (error.code === ERROR_CODES.ABORTED) return { kind: 'cancelled' }
  if (error.code === ERROR_CODES.THROTTLED) return error.retryAfterMs === undefined ? { kind: 'throttled' } : { kind: 'throttled', retryAfterMs: error.retryAfterMs }
  const marked = fatalErrors.get(error)
  if (marked !== undefined) return { kind: 'fatal', code: error.code, message: error.message, ...(marked.untilSuccess ? { untilSuccess: true } : {}) }
  if (FATAL_CODES.has(error.code)) return { kind: 'fatal', code: error.code, message: error.message }
  return { kind: 'failed' }
}
