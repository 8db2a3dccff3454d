/**
 * The send rate the run learns when nobody told it the quota: CUBIC, as TCP and the AWS
 * SDK's adaptive retry mode (`DefaultRateLimiter` in @smithy/util-retry) use it. An in-flight
 * limit alone cannot hold a quota, because a 429 comes back at once: a throttled call frees
 * its slot in milliseconds, and retries then arrive as fast as their backoff allows. A rate
 * bounds every send, retries included.
 *
 * - No limit until the first throttle: a run under its quota pays nothing.
 * - On a throttle the rate is cut to `beta` × u, u being the rate the run was using (the lower
 *   of the rate allowed and the sends of the last second), at most once per round trip: a 429
 *   for a call sent before the last cut answers the burst the cut already answered.
 * - W, the quota it believes in, becomes u, but falls by at most `decay` per cut: a client
 *   cannot tell a random throttle from a quota throttle, and random ones also come while the
 *   rate is still growing back. Taking each of them as the quota (the SDK's rule) ratchets the
 *   rate down to a fraction of the quota under a steady 20% of random 429s; with the decay a
 *   random throttle costs one dip, and a quota really lower than W is still found within a few
 *   cuts, while the rate itself is cut at once.
 * - Then the rate grows back along a cubic: fast at first, flat around W, and probing above
 *   it after `regrowMs`. The curve is scaled to W, so a quota of 120 a minute and one of
 *   10,000 a minute are learned in the same number of seconds (the SDK's fixed constant
 *   regrows 2 a second in 1 s and 200 a second in 5 s).
 *
 * Pure arithmetic on the times it is given (ms), so tests drive it with fake time.
 */

export interface CubicOptions {
  /** Share of u the rate is cut to on a throttle. Default 0.7 (TCP CUBIC's, and the SDK's). */
  beta?: number
  /** Most W falls on one cut, as a share of W. Default 0.9. */
  decay?: number
  /** Time from a cut back to W, in ms. Default 3 000. */
  regrowMs?: number
  /** Lowest rate it ever learns, in requests per second. Default 0.5 (the SDK's). */
  minPerSecond?: number
}

export class CubicRate {
  readonly beta: number
  readonly decay: number
  readonly regrowMs: number
  readonly minPerSecond: number
  /** W per second; undefined until the first throttle. */
  #max: number | undefined
  /** The rate the last cut left, per second. */
  #cutTo = 0
  #lastCutAt = Number.NEGATIVE_INFINITY
  /** Whether throttles of calls sent before the last cut still refine the first W (see `#admitted`). */
  #firstRoundTrip = false
  /** Send times of the last `MEASURE_MS`, and the send times of those that came back throttled. */
  readonly #sent: number[] = []
  readonly #throttled: number[] = []

  constructor(options: CubicOptions = {}) {
    this.beta = options.beta ?? CUBIC_BETA
    this.decay = options.decay ?? CUBIC_DECAY
    this.regrowMs = options.regrowMs ?? CUBIC_REGROW_MS
    this.minPerSecond = options.minPerSecond ?? CUBIC_MIN_PER_SECOND
  }

  /** Requests per second allowed at `nowMs`; undefined: no limit (no throttle yet). */
  perSecond(nowMs: number): number | undefined {
    const max = this.#max
    if (max === undefined) return undefined
    // The SDK's t − K, in units of K: -1 at the cut, 0 back at W, then probing above it.
    const x = (nowMs - this.#lastCutAt - this.regrowMs) / this.regrowMs
    return Math.max(this.minPerSecond, max + (max - this.#cutTo) * x ** 3)
  }

  /** W per second: the quota the run believes in; undefined before the first throttle. */
  get ceilingPerSecond(): number | undefined {
    return this.#max
  }

  /** A call was sent at `nowMs`. */
  onSend(nowMs: number): void {
    this.#sent.push(nowMs)
    this.#prune(nowMs)
  }

  /** A call sent at `sentAt` was throttled at `nowMs`. Returns whether the rate was cut. */
  onThrottle(sentAt: number, nowMs: number): boolean {
    // Kept in order of send time, which the window pruning relies on: replies overtake each other.
    let at = this.#throttled.length
    while (at > 0 && this.#throttled[at - 1]! > sentAt) at--
    this.#throttled.splice(at, 0, sentAt)
    this.#prune(nowMs)
    if (sentAt <= this.#lastCutAt) {
      if (this.#firstRoundTrip) this.#cut(Math.min(this.#max ?? Infinity, this.#admitted()), this.#lastCutAt)
      return false
    }
    const first = this.#max === undefined
    this.#firstRoundTrip = first
    const used = first ? this.#admitted() : Math.min(this.perSecond(nowMs) ?? Infinity, this.#sent.length / MEASURE_SECONDS)
    this.#cut(used, nowMs)
    return true
  }

  #cut(used: number, at: number): void {
    const floor = this.#max === undefined || this.#firstRoundTrip ? 0 : this.#max * this.decay
    this.#max = Math.max(this.minPerSecond, used, floor)
    this.#cutTo = Math.max(this.minPerSecond, used) * this.beta
    this.#lastCutAt = at
  }

  /**
   * u at the first throttle. The run has just sent a burst (every page at once, at
   * `--concurrency`), so its send rate over any short window says nothing about the quota;
   * what the server let through says more: the sends of the last second that did not come back
   * throttled. The 429s of a burst arrive one by one over a few ms, so each one of the first
   * round trip lowers the estimate until the whole burst is accounted for.
   */
  #admitted(): number {
    return (this.#sent.length - this.#throttled.length) / MEASURE_SECONDS
  }

  #prune(nowMs: number): void {
    const since = nowMs - MEASURE_SECONDS * 1000
    while (this.#sent.length > 0 && this.#sent[0]! < since) this.#sent.shift()
    while (this.#throttled.length > 0 && this.#throttled[0]! < since) this.#throttled.shift()
  }
}

const CUBIC_BETA = 0.7
const CUBIC_DECAY = 0.9
const CUBIC_REGROW_MS = 3 * 1000 // 3 s
const CUBIC_MIN_PER_SECOND = 0.5
/** The window sends are measured over, in seconds. */
const MEASURE_SECONDS = 1
