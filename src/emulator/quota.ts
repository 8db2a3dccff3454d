/**
 * A token bucket for the emulator's Bedrock quotas (requests or tokens per minute). Pure
 * arithmetic: every call takes the current time, in ms, so tests drive it with fake time.
 *
 * The bucket refills continuously at `perMinute / 60 000` per ms up to `capacity`, and
 * starts full. Bedrock does not publish how it enforces a per-minute quota; a continuous
 * refill with a small burst is the conservative reading: a client that spreads its calls
 * evenly at the quota never sees a 429, and one that fires a minute's worth at once does.
 */
export class TokenBucket {
  #level: number
  #updatedMs: number

  constructor(
    /** Most the bucket holds: how much may be spent at once after an idle spell. */
    readonly capacity: number,
    readonly perMinute: number,
    nowMs: number,
  ) {
    this.#level = capacity
    this.#updatedMs = nowMs
  }

  /** What is available at `nowMs`; negative while a request larger than the bucket is being paid off. */
  level(nowMs: number): number {
    // A clock that steps back (fake time in tests) refills nothing rather than draining.
    const elapsedMs = Math.max(0, nowMs - this.#updatedMs)
    // Multiplying before dividing keeps whole boundaries exact: 60 rpm after 1000 ms is 1, not 0.9999….
    return Math.min(this.capacity, this.#level + (elapsedMs * this.perMinute) / MS_PER_MINUTE)
  }

  /**
   * Whether `amount` may be spent at `nowMs`. An amount larger than the whole bucket could
   * never fit and would be refused forever; it is admitted once the bucket is full instead,
   * and the level goes negative, so later requests wait until the debt is refilled and the
   * average over a minute still keeps to the quota.
   */
  admits(amount: number, nowMs: number): boolean {
    return this.level(nowMs) + LEVEL_EPSILON >= Math.min(amount, this.capacity)
  }

  /** Spends `amount` (possibly below zero: see `admits`). Check `admits` first. */
  take(amount: number, nowMs: number): void {
    this.#level = this.level(nowMs) - amount
    this.#updatedMs = nowMs
  }

  /** Returns `amount` to the bucket, never above its capacity; a negative amount charges more. */
  give(amount: number, nowMs: number): void {
    this.#level = Math.min(this.capacity, this.level(nowMs) + amount)
    this.#updatedMs = nowMs
  }
}

const MS_PER_MINUTE = 60 * 1000
/** Floating-point slack: levels are sums of fractions, and a bucket refilled to exactly 1 must admit 1. */
const LEVEL_EPSILON = 1e-9

/** The bucket for a quota of `perMinute`, holding `burstSeconds` worth of it and at least 1. */
export function quotaBucket(perMinute: number, burstSeconds: number, nowMs: number): TokenBucket {
  return new TokenBucket(Math.max(1, (perMinute / 60) * burstSeconds), perMinute, nowMs)
}
