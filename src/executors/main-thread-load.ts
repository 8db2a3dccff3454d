import { performance, type EventLoopUtilization } from 'node:perf_hooks'

/** Shortest stretch of time a busy reading covers, so one large page does not count as a backlog. */
export const LOAD_WINDOW_MS = 100

/**
 * Share of the main thread's time, over the last window, spent running code rather than
 * waiting for I/O. The pool reads it to decide when pages are worth a thread: a run whose
 * main thread mostly waits (model-bound, light pages) gains nothing from handing pages over.
 */
export class MainThreadLoad {
  #since: EventLoopUtilization = performance.eventLoopUtilization()
  #at = performance.now()
  #last: number | undefined

  /** The busy share (0–1) of the last window that closed; undefined until one has. */
  busy(): number | undefined {
    const now = performance.now()
    if (now - this.#at >= LOAD_WINDOW_MS) {
      this.#last = performance.eventLoopUtilization(this.#since).utilization
      this.#since = performance.eventLoopUtilization()
      this.#at = now
    }
    return this.#last
  }
}
