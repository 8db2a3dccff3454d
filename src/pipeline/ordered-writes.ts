import type { PageRecord } from '../record.js'
import type { RecordSink } from '../output/sink.js'
import { ReorderBuffer } from '../output/reorder.js'

export interface OrderedWritesOptions {
  /** Release records as they finish instead of in input order. */
  unordered: boolean
  /** The run's signal, handed to each write so a write blocked on a full stream ends at Ctrl-C. */
  signal: AbortSignal
  /** Called as each record is released, before it is written (the run's counts). */
  onRelease: (record: PageRecord) => void
  /** Called once a record is written (progress display). */
  onWritten?: ((record: PageRecord) => void) | undefined
  /** The first write failure: the run stops at once. */
  onWriteError: (error: unknown) => void
}

/**
 * The last two stages: finished records are put back in input order (unless `unordered`),
 * then written to the sink one at a time, in the order released. `null` stands for a line
 * whose record is already written (a line done before, on `--resume`): it holds its place
 * in the order and is not written again.
 */
export class OrderedWrites {
  readonly #sink: RecordSink
  readonly #options: OrderedWritesOptions
  readonly #reorder = new ReorderBuffer<PageRecord | null>()
  #writing: Promise<void> = Promise.resolve()

  constructor(sink: RecordSink, options: OrderedWritesOptions) {
    this.#sink = sink
    this.#options = options
  }

  /** Sequence number of the oldest line not yet released. */
  get next(): number {
    return this.#reorder.next
  }

  complete(seq: number, record: PageRecord | null): void {
    if (this.#options.unordered) this.#release([record])
    else this.#release(this.#reorder.push(seq, record))
  }

  /** Settles when every record released so far is written; rejects with the first write error. */
  written(): Promise<void> {
    return this.#writing
  }

  #release(records: Array<PageRecord | null>): void {
    const { signal, onRelease, onWritten, onWriteError } = this.#options
    for (const record of records) {
      if (record === null) continue
      onRelease(record)
      // Chained, so records reach the sink one at a time, in the order released.
      this.#writing = this.#writing.then(() => this.#sink.write(record, signal)).then(() => onWritten?.(record))
      // A failed write stops the run at once (pages in flight are cancelled, not awaited);
      // the error itself is rethrown where the loop awaits `written()`. Handling it here also
      // keeps it from being an unhandled rejection while the loop waits for a slot.
      this.#writing.catch(onWriteError)
    }
  }
}
