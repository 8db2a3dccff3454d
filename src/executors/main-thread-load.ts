import { performance, type EventLoopUtilization } from 'node:perf_hooks'

/** Shortest stretch of time a busy reading covers, so one large page does not count as a backlog. */
export const LOAD_WINDOW_MS = 100

/**
 * How the main thread spent the last window: its busy share (running code rather than
 * waiting for I/O) and, of that, the share spent on page work a thread could take over
 * (decoding, extraction, an offline summary). The pool reads both to decide when pages are
 * worth a thread: a run whose main thread mostly waits (model-bound, light pages) gains
 * nothing from handing pages over, and neither does one kept busy by its sockets and model
 * calls (a burst of 50 light pages at start-up), which stay on the main thread anyway.
 */
export class MainThreadLoad {
  #since: EventLoopUtilization = performance.eventLoopUtilization()
  #at = performance.now()
  #work = 0
  #last: { busy: number; work: number } | undefined

  /** Counts `ms` of page work done on the main thread in the current window. */
  addWork(ms: number): void {
    this.#work += ms
  }

  /** The busy share (0–1) of the last window that closed; undefined until one has. */
  busy(): number | undefined {
    return this.#read()?.busy
  }

  /** The page-work share (0–1) of the last window that closed; undefined until one has. */
  work(): number | undefined {
    return this.#read()?.work
  }

  #read(): { busy: number; work: number } | undefined {
    const now = performance.now()
    if (now - this.#at >= LOAD_WINDOW_MS) {
      this.#last = { busy: performance.eventLoopUtilization(this.#since).utilization, work: Math.min(1, this.#work / (now - this.#at)) }
      this.#since = performance.eventLoopUtilization()
      this.#at = now
      this.#work = 0
    }
    return this.#last
  }
}
