/**
 * Holds results that finished before an earlier one, and releases them in sequence order
 * as soon as every earlier one is done. The run loop bounds its size by not starting
 * item `n` until item `n - window` has been released.
 */
export class ReorderBuffer<T> {
  #next = 0
  readonly #waiting = new Map<number, T>()

  /** Sequence number of the next item to release. */
  get next(): number {
    return this.#next
  }

  get size(): number {
    return this.#waiting.size
  }

  /** Adds item `seq` and returns every item that is now releasable, in order. */
  push(seq: number, item: T): T[] {
    if (seq < this.#next || this.#waiting.has(seq)) throw new RangeError(`sequence number ${seq} was already pushed`)
    this.#waiting.set(seq, item)
    const ready: T[] = []
    for (let found = this.#waiting.get(this.#next); found !== undefined; found = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next)
      ready.push(found)
      this.#next += 1
    }
    return ready
  }
}
