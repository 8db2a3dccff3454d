/**
 * A token bucket: `perMinute` tokens a minute, refilled continuously, holding at most
 * `capacity`, starting full. The run's rate controller paces `--rpm` and `--tpm` with it and
 * the emulator enforces its quotas with it, so client and server agree on the arithmetic.
 * Pure arithmetic: every call takes the current time in ms, so tests drive it with fake time.
 *
 * A request larger than the whole bucket could never fit and would wait forever; it is let
 * through once the bucket is full instead, and the level goes negative: later requests wait
 * until the debt is refilled, so the average over a minute still keeps to the rate.
 */
export class TokenBucket {
  #perMinute: number
  #capacity: number
  #level: number
  #updatedMs: number

  /** `level`: what it holds at first. Default full. */
  constructor(options: { perMinute: number; capacity: number; nowMs: number; level?: number }) {
    checkRate(options.perMinute, options.capacity)
    this.#perMinute = options.perMinute
    this.#capacity = options.capacity
    this.#level = Math.min(options.capacity, options.level ?? options.capacity)
    this.#updatedMs = options.nowMs
  }

  get perMinute(): number {
    return this.#perMinute
  }

  /** Most the bucket holds: how much may be spent at once after an idle spell. */
  get capacity(): number {
    return this.#capacity
  }

  /**
   * Changes the rate from `nowMs` on (a learned rate moves): what was refilled until then at
   * the old rate stays, cut down to the new capacity.
   */
  setRate(perMinute: number, capacity: number, nowMs: number): void {
    checkRate(perMinute, capacity)
    const level = this.level(nowMs)
    this.#perMinute = perMinute
    this.#capacity = capacity
    this.#commit(Math.min(capacity, level), nowMs)
  }

  /** A bucket holding `burstSeconds` worth of `perMinute`, and at least 1. */
  static forQuota(perMinute: number, burstSeconds: number, nowMs: number): TokenBucket {
    return new TokenBucket({ perMinute, capacity: Math.max(1, (perMinute / 60) * burstSeconds), nowMs })
  }

  /** What is available at `nowMs`; negative while a request larger than the bucket is being paid off. */
  level(nowMs: number): number {
    // A clock that steps back (fake time in tests) refills nothing rather than draining.
    const elapsedMs = Math.max(0, nowMs - this.#updatedMs)
    // Multiplying before dividing keeps whole boundaries exact: 60 a minute after 1000 ms is 1, not 0.9999….
    return Math.min(this.#capacity, this.#level + (elapsedMs * this.#perMinute) / MS_PER_MINUTE)
  }

  /** Whether `amount` may be spent at `nowMs` (when full, even an amount larger than the bucket). */
  admits(amount: number, nowMs: number): boolean {
    return this.level(nowMs) + LEVEL_EPSILON >= Math.min(amount, this.#capacity)
  }

  /** Milliseconds until `admits(amount)` holds (0: now). */
  waitMs(amount: number, nowMs: number): number {
    if (this.admits(amount, nowMs)) return 0
    // Rounded up, so that after the wait `admits` is true and a timer never fires early.
    return Math.ceil(((Math.min(amount, this.#capacity) - this.level(nowMs)) * MS_PER_MINUTE) / this.#perMinute)
  }

  /** Spends `amount` (possibly below zero: see the class comment). Check `admits` first. */
  take(amount: number, nowMs: number): void {
    this.#commit(this.level(nowMs) - amount, nowMs)
  }

  /** Returns `amount` once the real cost is known, never above the capacity; a negative amount charges more. */
  give(amount: number, nowMs: number): void {
    this.#commit(Math.min(this.#capacity, this.level(nowMs) + amount), nowMs)
  }

  #commit(level: number, nowMs: number): void {
    this.#level = level
    // Never moved back: a clock that stepped back would otherwise be refilled twice for the same time.
    this.#updatedMs = Math.max(this.#updatedMs, nowMs)
  }
}

function checkRate(perMinute: number, capacity: number): void {
  if (!(perMinute > 0) || !(capacity > 0)) throw new RangeError('a token bucket needs a positive rate and capacity')
}

const MS_PER_MINUTE = 60 * 1000
/** Floating-point slack: levels are sums of fractions, and a bucket refilled to exactly 1 must admit 1. */
const LEVEL_EPSILON = 1e-9
