import { performance } from 'node:perf_hooks'
import TinyQueue from 'tinyqueue'

/**
 * Longest a page waits while smaller ones go first: past it, the oldest waiting page is next
 * whatever its size, so a large page is never starved by a stream of small ones.
 */
export const MAX_BYPASS_MS = 500

interface Entry<T> {
  item: T
  size: number
  /** Arrival number: among equal sizes the earlier goes first. */
  seq: number
  since: number
  /** Taken or removed: the heap and the arrival list drop it when they reach it. */
  gone: boolean
}

/**
 * Pages waiting for a place, smallest first. When the model call takes seconds and extraction
 * milliseconds, a page's trip through the run is fetch → wait for a thread → extract → model
 * call, and the wait is the part scheduling controls. Serving the cheapest page first
 * (shortest job first, with the body's size for its cost: extraction is about linear in the
 * markup) shortens the mean wait, so pages reach the model sooner and each of the
 * `--concurrency` slots turns over faster. Aging (MAX_BYPASS_MS) bounds any page's wait.
 *
 * Two binary heaps (tinyqueue), by size and by arrival, so both the smallest and the oldest
 * are found in O(log n); an entry taken through one is dropped lazily from the other.
 */
export class SmallestFirst<T> {
  #bySize = new TinyQueue<Entry<T>>([], bySize)
  #byArrival = new TinyQueue<Entry<T>>([], byArrival)
  readonly #entries = new Map<T, Entry<T>>()
  #seq = 0
  /**
   * The entry last taken by shift(). Piscina shifts a task when a thread frees up and, if no
   * thread has room after all, pushes the same task back at once (`_returnUndistributedTask`):
   * it keeps its place and its age, or aging would restart for the page that waited longest.
   */
  #lastTaken: Entry<T> | undefined
  readonly #now: () => number

  /** `now`: the clock, in ms (tests pass their own). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now
  }

  get size(): number {
    return this.#entries.size
  }

  push(item: T, size: number): void {
    const back = this.#lastTaken?.item === item ? this.#lastTaken : undefined
    this.#lastTaken = undefined
    const entry: Entry<T> = back === undefined ? { item, size, seq: this.#seq++, since: this.#now(), gone: false } : { ...back, gone: false }
    this.#entries.set(item, entry)
    this.#bySize.push(entry)
    this.#byArrival.push(entry)
  }

  /** The next item (undefined when none waits): the oldest if it has waited MAX_BYPASS_MS, else the smallest. */
  shift(): T | undefined {
    const oldest = this.#oldest()
    if (oldest === undefined) return undefined
    const entry = this.#now() - oldest.since >= MAX_BYPASS_MS ? oldest : this.#smallest()
    if (entry === undefined) return undefined
    this.#lastTaken = entry
    return this.#take(entry)
  }

  /** Takes `item` out of the queue, wherever it is; false when it was not waiting. */
  remove(item: T): boolean {
    const entry = this.#entries.get(item)
    if (entry === undefined) return false
    this.#take(entry)
    return true
  }

  #take(entry: Entry<T>): T {
    entry.gone = true
    this.#entries.delete(entry.item)
    // Taken entries leave a heap only when they reach its top: rebuild both heaps from the
    // live entries when the dead ones outnumber them, so a long run does not accumulate them.
    if (this.#bySize.length + this.#byArrival.length > 4 * this.#entries.size + 256) {
      this.#bySize = new TinyQueue([...this.#entries.values()], bySize)
      this.#byArrival = new TinyQueue([...this.#entries.values()], byArrival)
    }
    return entry.item
  }

  #smallest(): Entry<T> | undefined {
    while (this.#bySize.peek()?.gone === true) this.#bySize.pop()
    return this.#bySize.peek()
  }

  #oldest(): Entry<T> | undefined {
    while (this.#byArrival.peek()?.gone === true) this.#byArrival.pop()
    return this.#byArrival.peek()
  }
}

const bySize = <T>(a: Entry<T>, b: Entry<T>): number => a.size - b.size || a.seq - b.seq
const byArrival = <T>(a: Entry<T>, b: Entry<T>): number => a.seq - b.seq
