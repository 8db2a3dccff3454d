/**
 * The admission window: how far the reader may run ahead. A page needs one of `slots`
 * (the executor's concurrency), and no line may start while the reorder window behind the
 * oldest unwritten line is full, so memory is bounded by the window, not by the input.
 * One waiter at a time: the read loop.
 */
export class AdmissionWindow {
  readonly #slots: number
  readonly #windowFull: (seq: number) => boolean
  #inFlight = 0
  #wake: (() => void) | undefined

  /** `windowFull(seq)`: line `seq` is too far ahead of the oldest line not yet released. */
  constructor(slots: number, windowFull: (seq: number) => boolean) {
    this.#slots = slots
    this.#windowFull = windowFull
  }

  /**
   * Waits until line `seq` may go on: a free slot if it starts a page (`needsSlot`), and room
   * in the reorder window. Lines that finish at once (bad lines, duplicates) still wait for
   * the window, so a stuck first page followed by a million bad lines cannot grow the
   * reorder buffer.
   */
  async waitFor(seq: number, needsSlot: boolean): Promise<void> {
    while ((needsSlot && this.#inFlight >= this.#slots) || (this.#windowFull(seq) && this.#inFlight > 0)) {
      await this.#settled()
    }
  }

  /** Pages started and not yet finished. */
  get inFlight(): number {
    return this.#inFlight
  }

  /** A page started: it holds a slot until `leave()`. */
  enter(): void {
    this.#inFlight += 1
  }

  leave(): void {
    this.#inFlight -= 1
    this.#wake?.()
  }

  /** Resolves once no page is in flight. */
  async idle(): Promise<void> {
    while (this.#inFlight > 0) await this.#settled()
  }

  #settled(): Promise<void> {
    return new Promise<void>((resolve) => (this.#wake = resolve))
  }
}
