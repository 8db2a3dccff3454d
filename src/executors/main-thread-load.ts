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

  /** The busy share (0–1) of the window that just closed, or undefined while it is still open. */
  sample(): number | undefined {
    const now = performance.now()
    if (now - this.#at < LOAD_WINDOW_MS) return undefined
    const window = performance.eventLoopUtilization(this.#since)
    this.#since = performance.eventLoopUtilization()
    this.#at = now
    return window.utilization
  }
}
