import { UsageError } from '../errors.js'
import type { InputItem } from './list.js'

/** The first stage: input lines, one at a time, until the input ends or the run stops reading. */
export class LineReader {
  readonly #lines: AsyncIterator<InputItem>
  readonly #signals: AbortSignal[]

  constructor(input: AsyncIterable<InputItem>, ...signals: AbortSignal[]) {
    this.#lines = input[Symbol.asyncIterator]()
    this.#signals = signals
  }

  /** The next line; undefined at the end of the input or as soon as one of the signals aborts. */
  async next(): Promise<InputItem | undefined> {
    // Waiting for the next line (a slow pipe, `tail -f`) must not outlast a Ctrl-C.
    const next = await untilAborted(this.#lines.next().catch(inputError), this.#signals)
    return next === ABORTED || next.done === true ? undefined : next.value
  }

  close(): void {
    // Not awaited: a generator blocked on a silent stdin would only answer once it gets a line.
    void this.#lines.return?.()
  }
}

const ABORTED = Symbol('aborted')

/** Resolves with `promise`, or with ABORTED as soon as one of `signals` aborts. */
function untilAborted<T>(promise: Promise<T>, signals: AbortSignal[]): Promise<T | typeof ABORTED> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(ABORTED)
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED)
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => {
      for (const s of signals) s.removeEventListener('abort', onAbort)
    })
  })
}

/** A failing input stream (EIO, a deleted FIFO) is the user's input, not a bug. */
function inputError(error: unknown): never {
  // A reader's own message (a CSV with an unclosed quote) already names the file and where.
  if (error instanceof UsageError) throw error
  const code = (error as NodeJS.ErrnoException | null)?.code ?? (error instanceof Error ? error.message : String(error))
  throw new UsageError(`cannot read the URL list: ${code}`, { cause: error })
}
