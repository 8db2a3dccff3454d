/**
 * What the emulator counts: totals by outcome, requests in flight, tokens, and a
 * per-second timeline that benchmarks plot.
 */

/** What happened during one second of the emulator's life; `second` counts from its start. */
export interface EmulatorSecond {
  second: number
  /** Requests that arrived during this second; the other counts are outcomes (replies, resets, stalls) during it. */
  requests: number
  ok: number
  throttled: number
  errors: number
  reset: number
  stalled: number
}

export interface EmulatorStats {
  requests: number
  ok: number
  throttled: number
  /** 5xx replies. */
  errors: number
  /** 400 and 404 replies. */
  validation: number
  /** 401 and 403 replies. */
  denied: number
  /** Connections reset with no reply (`resetRate`). */
  reset: number
  /** Requests held with no reply (`stallRate`), counted when the hold starts. */
  stalled: number
  /** Input plus output tokens of ok replies. */
  tokens: number
  inFlight: number
  maxInFlight: number
  /**
   * One row per second, without gaps, from the first second with a request to the latest,
   * and at most the last 3600 seconds: a benchmark can plot throughput and throttling over time.
   */
  timeline: EmulatorSecond[]
}

/**
 * How one request ended: the HTTP status sent (0 when the client left first, so nothing
 * was sent), or a fault that replaced the reply. Every protocol speaks HTTP statuses, so
 * the counts mean the same whichever protocol answered.
 */
export type Outcome = number | 'reset' | 'stalled'

/** The timeline keeps this many seconds, so a long-running emulator stays small. */
const TIMELINE_SECONDS = 3600 // 1 h

export class StatsRecorder {
  readonly #stats: EmulatorStats = {
    requests: 0,
    ok: 0,
    throttled: 0,
    errors: 0,
    validation: 0,
    denied: 0,
    reset: 0,
    stalled: 0,
    tokens: 0,
    inFlight: 0,
    maxInFlight: 0,
    timeline: [],
  }
  readonly #now: () => number
  readonly #startedMs: number

  /** `startedMs` on the `now` clock is second 0 of the timeline. */
  constructor(now: () => number, startedMs: number) {
    this.#now = now
    this.#startedMs = startedMs
  }

  arrived(): void {
    const stats = this.#stats
    stats.requests++
    this.#row().requests++
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
  }

  /** The request's response closed: answered, reset, or the client hung up. */
  left(): void {
    this.#stats.inFlight--
  }

  /** Input plus output tokens of an ok reply. */
  addTokens(tokens: number): void {
    this.#stats.tokens += tokens
  }

  count(outcome: Outcome): void {
    const stats = this.#stats
    if (outcome === 0) return
    const row = this.#row()
    if (outcome === 'reset') {
      stats.reset++
      row.reset++
    } else if (outcome === 'stalled') {
      stats.stalled++
      row.stalled++
    } else if (outcome === 200) {
      stats.ok++
      row.ok++
    } else if (outcome === 429) {
      stats.throttled++
      row.throttled++
    } else if (outcome >= 500) {
      stats.errors++
      row.errors++
    } else if (outcome === 401 || outcome === 403) stats.denied++
    else if (outcome >= 400) stats.validation++
  }

  /** A copy: the caller may keep or change it. */
  snapshot(): EmulatorStats {
    const stats = this.#stats
    return { ...stats, timeline: stats.timeline.map((row) => ({ ...row })) }
  }

  /** The timeline row of the current second, adding rows (empty ones for idle seconds) as time passes. */
  #row(): EmulatorSecond {
    const { timeline } = this.#stats
    const second = Math.max(0, Math.floor((this.#now() - this.#startedMs) / 1000))
    const last = timeline.at(-1)
    // A clock that steps back (fake time) counts into the latest row rather than reordering rows.
    if (last !== undefined && second <= last.second) return last
    const first = last === undefined ? second : Math.max(last.second + 1, second - TIMELINE_SECONDS + 1)
    for (let s = first; s <= second; s++) timeline.push({ second: s, requests: 0, ok: 0, throttled: 0, errors: 0, reset: 0, stalled: 0 })
    if (timeline.length > TIMELINE_SECONDS) timeline.splice(0, timeline.length - TIMELINE_SECONDS)
    return timeline.at(-1)!
  }
}
