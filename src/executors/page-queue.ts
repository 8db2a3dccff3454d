import { SmallestFirst } from './smallest-first.js'

/**
 * Pages waiting for their turn on the main thread, smallest first with aging (SmallestFirst):
 * the pool gives the main thread one page per turn of the event loop, so bodies that arrive
 * while a page is extracted compete for the next turn. (Pages waiting for a thread wait in
 * Piscina's own queue, ordered the same way: task-queue.ts.)
 */
export class PageQueue {
  readonly #waiting: SmallestFirst<() => void>

  /** `now`: the clock, in ms (tests pass their own). */
  constructor(now?: () => number) {
    this.#waiting = new SmallestFirst(now)
  }

  get length(): number {
    return this.#waiting.size
  }

  /** Resolves when `next()` picks this page. */
  wait(size: number): Promise<void> {
    return new Promise((resume) => this.#waiting.push(resume, size))
  }

  /** Resumes the next page (false when none waits): the oldest if it has waited MAX_BYPASS_MS, else the smallest. */
  next(): boolean {
    const resume = this.#waiting.shift()
    resume?.()
    return resume !== undefined
  }
}
