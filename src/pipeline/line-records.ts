import { notAttemptedMessage, type BreakerTrip } from '../control/breaker.js'
import { ERROR_CODES, type ErrorData } from '../errors.js'
import type { PageContext } from '../process-page.js'
import { errorRecord, ZERO_TIMINGS, type PageRecord } from '../record.js'

/**
 * The record of a line whose page never ran (a bad URL, the breaker, a cancelled run): every
 * line read gets exactly one record, so the output accounts for the whole input.
 */
export function unstartedRecord(item: { line: number; url: string }, ctx: PageContext, error: ErrorData): PageRecord {
  return errorRecord({ line: item.line, url: item.url, provider: ctx.provider, model: ctx.model }, error, ZERO_TIMINGS)
}

/** Errors that repeat for every page stopped the run: the rest is accounted for, not sent. */
export function notAttemptedError(trip: BreakerTrip): ErrorData {
  return { code: ERROR_CODES.NOT_ATTEMPTED, message: notAttemptedMessage(trip), attempts: 1 }
}

/** Read but never started: the run was stopped or cancelled while the line waited for a slot. */
export function abortedError(): ErrorData {
  return { code: ERROR_CODES.ABORTED, message: 'the run was cancelled before this page started', attempts: 1 }
}

/** processPage never rejects; if it ever does, the page still gets its record. */
export function internalError(error: unknown): ErrorData {
  return { code: ERROR_CODES.INTERNAL, message: String(error), attempts: 1 }
}
