/** Pages in flight at a graceful stop get this long to finish before they are cancelled. */
export const DEFAULT_DRAIN_MS = 10 * 1000 // 10 s

/**
 * The two ways a run ends early, turned into the signals the pipeline reads. `signal` is
 * the run's own: every page in flight listens to it, and it aborts when the caller aborts
 * (a second Ctrl-C), when the sink fails (there is no point finishing pages whose records
 * cannot be kept), or when pages in flight outlast the drain deadline after a stop.
 * `reading` aborts at a graceful stop (a first Ctrl-C, SIGTERM): no line is read after it,
 * while pages in flight go on.
 */
export class RunSignals {
  readonly #run = new AbortController()
  readonly #reading = new AbortController()
  readonly #caller: AbortSignal | undefined
  readonly #stop: AbortSignal | undefined
  readonly #drainMs: number
  #drainTimer: NodeJS.Timeout | undefined

  constructor(hooks: { signal?: AbortSignal | undefined; stopSignal?: AbortSignal | undefined; drainMs?: number | undefined }) {
    this.#caller = hooks.signal
    this.#stop = hooks.stopSignal
    this.#drainMs = hooks.drainMs ?? DEFAULT_DRAIN_MS
    if (this.#caller?.aborted) this.#onAbort()
    this.#caller?.addEventListener('abort', this.#onAbort, { once: true })
    if (this.#stop?.aborted) this.#onStop()
    this.#stop?.addEventListener('abort', this.#onStop, { once: true })
  }

  get signal(): AbortSignal {
    return this.#run.signal
  }

  get reading(): AbortSignal {
    return this.#reading.signal
  }

  /** The caller stopped or aborted the run; lines after the last one read have no record. */
  get interrupted(): boolean {
    return this.#caller?.aborted === true || this.#stop?.aborted === true
  }

  /** Cancels the pages in flight: the sink or the input failed. */
  abort(reason: unknown): void {
    this.#run.abort(reason)
  }

  /** Stops the drain deadline and lets go of the caller's signals once the run is over. */
  dispose(): void {
    clearTimeout(this.#drainTimer)
    this.#caller?.removeEventListener('abort', this.#onAbort)
    this.#stop?.removeEventListener('abort', this.#onStop)
  }

  readonly #onAbort = (): void => this.#run.abort(this.#caller?.reason)

  readonly #onStop = (): void => {
    this.#reading.abort()
    this.#drainTimer ??= setTimeout(() => this.#run.abort(new Error('stopped: pages in flight ran past the drain deadline')), this.#drainMs)
  }
}
