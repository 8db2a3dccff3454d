/**
 * Additive-increase, multiplicative-decrease on the number of calls in flight, as TCP does
 * with its window: ×`decrease` on throttling, so that one burst of 429s from calls sent
 * together counts as one signal, not twenty (a throttled call sent before the last cut does
 * not cut again: TCP's one cut per round trip); and +1 after `growthWindows` windows of
 * successes (`limit` successes each) — slower than TCP's one window, because a provider's
 * per-minute bucket absorbs an overshoot for seconds before it throttles, and fast growth in
 * that time would overshoot by far. Only successes of calls that found the limit full count:
 * a limit nobody reaches says nothing about the quota.
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
