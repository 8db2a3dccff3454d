import { performance } from 'node:perf_hooks'

/**
 * Longest a page waits while smaller ones go first: past it, the oldest waiting page is next
 * whatever its size, so a large page is never starved by a stream of small ones.
 */
export const MAX_BYPASS_MS = 500

interface Waiting {
  size: number
  since: number
  resume: () => void
}

/**
 * Pages waiting for a place on a thread, smallest first. When the model call takes seconds
 * and extraction milliseconds, a page's trip through the run is fetch → wait for a thread →
 * extract → model call, and the wait is the part scheduling controls. Serving the cheapest
 * page first (shortest job first, with the body's size for its cost: extraction is about
 * linear in the markup) shortens the mean wait, so pages reach the model sooner and each of
 * the `--concurrency` slots turns over faster. Aging (MAX_BYPASS_MS) bounds any page's wait.
 */
export class PageQueue {
  /** In arrival order: the first is the oldest. */
  readonly #waiting: Waiting[] = []
  readonly #now: () => number

  /** `now`: the clock, in ms (tests pass their own). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now
  }

  get length(): number {
    return this.#waiting.length
  }

  /** Resolves when `next()` picks this page. */
  wait(size: number): Promise<void> {
    return new Promise((resume) => this.#waiting.push({ size, since: this.#now(), resume }))
  }

  /** Resumes the next page (false when none waits): the oldest if it has waited MAX_BYPASS_MS, else the smallest. */
  next(): boolean {
    if (this.#waiting.length === 0) return false
    let pick = 0
    if (this.#now() - (this.#waiting[0] as Waiting).since < MAX_BYPASS_MS) {
      for (let i = 1; i < this.#waiting.length; i++) if ((this.#waiting[i] as Waiting).size < (this.#waiting[pick] as Waiting).size) pick = i
    }
    const [chosen] = this.#waiting.splice(pick, 1)
    chosen?.resume()
    return true
  }
}
