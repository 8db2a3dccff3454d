import { ERROR_CODES, PageError } from '../errors.js'
import { Breaker, notAttemptedMessage, type BreakerTrip } from './breaker.js'
import { DeliveryRate, type Phase, type RateVerdict } from './delivery.js'
import type { CallGate, CallOutcome, Permit } from './gate.js'
import type { LearnedLimits } from './limits.js'
import { PEER_TALK_MS, PeerTalk } from './peer-talk.js'
import type { PeerBoard } from './peers.js'
import { TokenBucket } from './token-bucket.js'

/**
 * The run's rate controller: every model call of the run waits here for leave. Model calls
 * are made on the main thread in every strategy (pool threads only extract), so quotas are
 * the run's, not each thread's. It schedules waiters in arrival order under four mechanisms, each
 * answering a different failure users hit:
 * - token buckets for `--rpm` and `--tpm` (the quota, when the user knows it, or when the
 *   server states it in its replies and the user gave none);
 * - a learned send rate (when they don't, see delivery.ts: throttles that do not depend on the
 *   rate leave the run unpaced, a quota is paced at), paced by a token bucket too, so that
 *   retries of throttled calls cannot outrun the quota: the tightest bucket wins;
 * - an in-flight limit: `--concurrency`, and while paced twice what the pace keeps in flight,
 *   for a provider that limits calls in flight rather than per minute;
 * - a breaker for errors that repeat for every page: after a few, the run stops with one message.
 */

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
  /** Where runs sharing this quota on this machine post what they learned (peers.ts); none: the run learns alone. */
  peers?: PeerBoard | undefined
}

export interface RateStats {
  /** Calls granted (every attempt counts). */
  calls: number
  throttled: number
  /** Times the learned rate was cut because the quota was found lower than the pace. */
  cuts: number
  /** The in-flight limit now. */
  limit: number
  maxInFlight: number
  /** The quota learned from throttling, per minute; null when no quota was found. */
  learnedRpm: number | null
  /** What the rate controller concluded about the throttles it met (see delivery.ts). */
  verdict: RateVerdict
  /** The quota adopted from the server's replies (x-ratelimit-*), where the user gave none; null when none was stated. */
  serverQuota: { rpm?: number; tpm?: number } | null
  /** Other runs on this machine that shared the quota (the most at once), and the group's quota last learned, per minute. */
  peers: { most: number; quotaRpm: number | null }
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
  #rpm: TokenBucket | undefined
  #tpm: TokenBucket | undefined
  /** Whether each quota came from the user, who knows best: the server's figure is then ignored. */
  readonly #given: { rpm: boolean; tpm: boolean }
  #stated: { rpm?: number; tpm?: number } | null = null
  readonly #delivery: DeliveryRate
  /** Paces the learned rate; made at the first throttle. */
  #learned: TokenBucket | undefined
  readonly #breaker: Breaker
  readonly #queue: Waiter[] = []
  readonly #tripListeners: Array<(trip: BreakerTrip) => void> = []
  #inFlight = 0
  #holdUntil = 0
  #timer: NodeJS.Timeout | undefined
  readonly #stats = { calls: 0, throttled: 0, maxInFlight: 0 }
  readonly #peers: PeerTalk | undefined
  #talkTimer: NodeJS.Timeout | undefined

  constructor(options: RateControlOptions) {
    this.#now = options.now ?? (() => performance.now())
    const now = this.#now()
    this.#delivery = new DeliveryRate({ maxInFlight: options.maxConcurrency }, now)
    if (options.rpm !== undefined) this.#rpm = TokenBucket.forQuota(options.rpm, CLIENT_BURST_SECONDS, now)
    if (options.tpm !== undefined) this.#tpm = TokenBucket.forQuota(options.tpm, CLIENT_BURST_SECONDS, now)
    this.#given = { rpm: options.rpm !== undefined, tpm: options.tpm !== undefined }
    this.#breaker = new Breaker(options.breakerThreshold)
    if (options.peers !== undefined) {
      // A run given --rpm sends no more whatever its share: the others divide what it leaves.
      this.#peers = new PeerTalk(options.peers, this.#delivery, options.rpm === undefined ? undefined : options.rpm / 60)
      this.#talk()
    }
  }

  /** Talks to the runs sharing the quota every second, calls or none: a run waiting out a slow pace still counts. */
  #talk(): void {
    this.#peers?.talk(this.#now())
    this.#talkTimer = setTimeout(() => this.#talk(), PEER_TALK_MS)
    this.#talkTimer.unref?.()
  }

  /** The breaker's trip, once it has tripped. */
  get tripped(): BreakerTrip | undefined {
    return this.#breaker.tripped
  }

  onTrip(listener: (trip: BreakerTrip) => void): void {
    this.#tripListeners.push(listener)
  }

  stats(): RateStats {
    const verdict = this.#delivery.verdict
    return {
      ...this.#stats,
      cuts: this.#delivery.cuts,
      limit: this.#delivery.inFlightLimit(),
      learnedRpm: verdict.kind === 'quota' ? verdict.perMinute : null,
      verdict,
      serverQuota: this.#stated === null ? null : { ...this.#stated },
      peers: this.#peers?.summary() ?? { most: 0, quotaRpm: null },
    }
  }

  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit> {
    const trip = this.#breaker.tripped
    if (trip !== undefined) return Promise.reject(notAttempted(trip))
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

  /** The ceiling of a throttled call's retry backoff while throttles look random (see delivery.ts); undefined: the policy's. */
  throttleBackoffMs(): number | undefined {
    return this.#delivery.throttleBackoffMs()
  }

  /** Stops timers and rejects every waiter: the run is over. */
  close(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    clearTimeout(this.#talkTimer)
    this.#peers?.leave()
    for (const waiter of this.#queue.splice(0)) this.#settle(waiter, () => waiter.reject(cancelled()))
  }

  /** Grants waiters in arrival order while the limit and the buckets allow; else sets one timer. */
  #schedule(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    for (;;) {
      const waiter = this.#queue[0]
      if (waiter === undefined) return
      const limit = this.#delivery.inFlightLimit()
      if (this.#inFlight >= limit) return // a finishing call schedules again
      const now = this.#now()
      const learned = this.#learnedBucket(now)
      const waitMs = Math.max(this.#holdUntil - now, (this.#peers?.holdUntil ?? 0) - now, this.#rpm?.waitMs(1, now) ?? 0, this.#tpm?.waitMs(waiter.tokens, now) ?? 0, learned?.waitMs(1, now) ?? 0)
      if (waitMs > 0) {
        // Not unref'd: with the inline strategies nothing else may keep the process alive
        // while every page waits here. close() clears it.
        this.#timer = setTimeout(() => this.#schedule(), waitMs)
        return
      }
      this.#queue.shift()
      this.#rpm?.take(1, now)
      this.#tpm?.take(waiter.tokens, now)
      learned?.take(1, now)
      const phase = this.#delivery.onSend(now)
      this.#inFlight += 1
      this.#stats.calls += 1
      this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#inFlight)
      const permit = this.#permit(waiter.tokens, now, phase)
      this.#settle(waiter, () => waiter.resolve(permit))
    }
  }

  #settle(waiter: Waiter, action: () => void): void {
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    action()
  }

  #permit(estimatedTokens: number, startedAt: number, phase: Phase): Permit {
    let open = true
    return {
      done: (outcome) => {
        if (!open) return
        open = false
        this.#inFlight -= 1
        this.#finish(outcome, estimatedTokens, startedAt, phase)
        this.#schedule()
      },
    }
  }

  #finish(outcome: CallOutcome, estimatedTokens: number, startedAt: number, phase: Phase): void {
    const now = this.#now()
    if (outcome.kind === 'cancelled') this.#delivery.onAbandon(phase)
    // A failed call passed the quota as much as an answered one: only a throttle counts against the rate.
    else this.#delivery.onReply(phase, startedAt, now, outcome.kind === 'throttled')
    this.#peers?.news(now)
    switch (outcome.kind) {
      case 'ok': {
        this.#breaker.onSuccess()
        if (outcome.tokens !== undefined) this.#tpm?.give(estimatedTokens - outcome.tokens, now)
        if (outcome.limits !== undefined) this.#adoptServerQuota(outcome.limits, now)
        return
      }
      case 'throttled': {
        this.#stats.throttled += 1
        // A random throttle's Retry-After is that call's, not a reason to hold the whole run.
        if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > 0 && this.#delivery.holdsForRetryAfter) {
          this.#holdUntil = Math.max(this.#holdUntil, now + Math.min(outcome.retryAfterMs, MAX_HOLD_MS))
        }
        return
      }
      case 'fatal': {
        const trip = this.#breaker.onFatal(outcome)
        if (trip !== undefined) this.#refuseAll(trip)
        return
      }
      case 'failed':
      case 'cancelled':
        // A call that never ran to completion used no output tokens; its input estimate stays
        // charged, as a provider charges a request it rejected late.
        return
    }
  }

  /**
   * Adopts a quota the server stated, for each limit the user left unset. A bucket is made
   * anew only when the figure changes, starting at what the server said remains, so calls it
   * already counted are not spent twice.
   */
  #adoptServerQuota(limits: LearnedLimits, now: number): void {
    const stated = { ...this.#stated }
    if (!this.#given.rpm && limits.rpm !== undefined && limits.rpm !== stated.rpm) {
      stated.rpm = limits.rpm
      this.#rpm = statedBucket(limits.rpm, limits.remainingRequests, now)
    }
    if (!this.#given.tpm && limits.tpm !== undefined && limits.tpm !== stated.tpm) {
      stated.tpm = limits.tpm
      this.#tpm = statedBucket(limits.tpm, limits.remainingTokens, now)
    }
    if (stated.rpm !== undefined || stated.tpm !== undefined) this.#stated = stated
  }

  /** The learned rate's bucket at the pace of the moment; undefined while the run is not paced. */
  #learnedBucket(now: number): TokenBucket | undefined {
    const perSecond = this.#delivery.perSecond(now)
    if (perSecond === undefined) {
      this.#learned = undefined
      return undefined
    }
    const capacity = Math.max(1, perSecond * CLIENT_BURST_SECONDS)
    // Empty at first: the burst that drew the throttles has just spent whatever the server had.
    if (this.#learned === undefined) this.#learned = new TokenBucket({ perMinute: perSecond * 60, capacity, nowMs: now, level: 0 })
    else this.#learned.setRate(perSecond * 60, capacity, now)
    return this.#learned
  }

  #refuseAll(trip: BreakerTrip): void {
    for (const waiter of this.#queue.splice(0)) this.#settle(waiter, () => waiter.reject(notAttempted(trip)))
    for (const listener of this.#tripListeners) listener(trip)
  }
}

/**
 * What the rate controller concluded, for the run's summary line: the share of calls
 * throttled and what it did about them, in words a user can check against the README's rule.
 * Empty when nothing was throttled.
 */
export function rateConclusion(stats: RateStats): string {
  if (stats.throttled === 0) return ''
  const counted = `${stats.throttled} of ${stats.calls} model calls throttled`
  const verdict = stats.verdict
  const percent = (share: number): string => `${Math.round(share * 100)}%`
  switch (verdict.kind) {
    case 'random':
      // The run's own share, which the reader can check against the count just before it.
      return `${counted}; throttles looked random (${percent(stats.throttled / stats.calls)} at every rate tried): kept ${stats.limit} in flight`
    case 'quota': {
      const { most, quotaRpm } = stats.peers
      if (most > 0 && quotaRpm !== null) {
        // Paced by the group: its quota and this run's share, which the reader can add up across the runs' summaries.
        const runs = most === 1 ? '1 other run' : `${most} other runs`
        return `${counted}; shared a quota near ${quotaRpm} requests/min with ${runs} on this machine: paced at ${verdict.perMinute} requests/min, in-flight limit ${stats.limit}`
      }
      return `${counted}; quota found near ${verdict.perMinute} requests/min (${percent(verdict.share)} of calls throttled below it), in-flight limit ${stats.limit}`
    }
    case 'none':
      return `${counted}; too few to tell a quota from random throttles: kept ${stats.limit} in flight`
  }
}

function notAttempted(trip: BreakerTrip): PageError {
  return new PageError(ERROR_CODES.NOT_ATTEMPTED, notAttemptedMessage(trip))
}

function cancelled(): PageError {
  return new PageError(ERROR_CODES.ABORTED, 'cancelled while waiting for a model call slot')
}

/** A bucket for a quota the server stated, already spent down to what it said remains. */
function statedBucket(perMinute: number, remaining: number | undefined, now: number): TokenBucket {
  const bucket = TokenBucket.forQuota(perMinute, CLIENT_BURST_SECONDS, now)
  if (remaining !== undefined) bucket.take(Math.max(0, bucket.capacity - remaining), now)
  return bucket
}
