import type { ErrorCode } from '../errors.js'

/**
 * The breaker for errors that repeat for every page (access denied, unknown model, bad
 * credentials or region): after `threshold` of them in a row, with no success between, the
 * run stops with one message instead of failing every page the same way. Which errors count
 * is the provider's classifier's call (`ErrorVerdict.fatal`); this only counts.
 */
export class Breaker {
  readonly threshold: number
  #inARow = 0
  #succeeded = false
  #first: BreakerTrip | undefined
  #trip: BreakerTrip | undefined

  constructor(threshold: number = BREAKER_THRESHOLD) {
    this.threshold = threshold
  }

  /** The trip, once it has tripped; it stays tripped. */
  get tripped(): BreakerTrip | undefined {
    return this.#trip
  }

  onSuccess(): void {
    this.#succeeded = true
    this.#inARow = 0
    this.#first = undefined
  }

  /**
   * A fatal failure. `untilSuccess`: it counts only while no call of the run has succeeded (a
   * host that does not resolve is a mistyped region at the start of a run, but a network blip
   * in the middle of one). Returns the trip when this failure tripped the breaker.
   */
  onFatal(failure: BreakerTrip & { untilSuccess?: boolean }): BreakerTrip | undefined {
    if (failure.untilSuccess === true && this.#succeeded) return undefined
    this.#inARow += 1
    this.#first ??= { code: failure.code, message: failure.message }
    if (this.#inARow < this.threshold || this.#trip !== undefined) return undefined
    this.#trip = this.#first
    return this.#trip
  }
}

/** Fatal errors in a row (with no success between) that stop the run. */
export const BREAKER_THRESHOLD = 3

export interface BreakerTrip {
  code: ErrorCode
  /** The first fatal error's message: it names what to fix. */
  message: string
}

/** The one message of NOT_ATTEMPTED records, whether the page was waiting for a model call or never started. */
export function notAttemptedMessage(trip: BreakerTrip): string {
  return `not attempted: the run stopped after repeated ${trip.code} errors (${trip.message}); fix the cause and run again with --resume`
}
