import { ERROR_CODES, PageError } from '../errors.js'

/** Pages in flight at a graceful stop get this long to finish before they are cancelled. */
export const DEFAULT_DRAIN_MS = 10 * 1000 // 10 s

/**
 * Pages still being fetched at a graceful stop get this long, then their fetch is cancelled.
 * A fetch has cost nothing yet (`--resume` fetches it again for free), while a stalled one
 * would hold the whole stop for the drain deadline: short, so SIGTERM ends a run of stalled
 * pages within 2 s (issue 18; with 1 s, 2 of 9 exits took 2.1-2.5 s at a load average of 50
 * on 2 cores), long enough for a reply already on the wire to land.
 */
export const DEFAULT_FETCH_GRACE_MS = 500 // 0.5 s

/**
 * The two ways a run ends early, turned into the signals the pipeline reads. `signal` is
 * the run's own: every page in flight listens to it, and it aborts when the caller aborts
 * (a second Ctrl-C), when the sink fails (there is no point finishing pages whose records
 * cannot be kept), or when pages in flight outlast the drain deadline after a stop.
 * `reading` aborts at a graceful stop (a first Ctrl-C, SIGTERM): no line is read after it,
 * while pages in flight go on; `fetching` aborts shortly after it, cancelling the fetches
 * still in flight (a stalled server must not hold the stop), while pages already fetched
 * (extraction, a model call being paid for) have until the drain deadline.
 */
export class RunSignals {
  readonly #run = new AbortController()
  readonly #reading = new AbortController()
  readonly #fetching = new AbortController()
  readonly #caller: AbortSignal | undefined
  readonly #stop: AbortSignal | undefined
  readonly #drainMs: number
  readonly #fetchGraceMs: number
  #drainTimer: NodeJS.Timeout | undefined
  #fetchTimer: NodeJS.Timeout | undefined

  constructor(hooks: { signal?: AbortSignal | undefined; stopSignal?: AbortSignal | undefined; drainMs?: number | undefined; fetchGraceMs?: number | undefined }) {
    this.#caller = hooks.signal
    this.#stop = hooks.stopSignal
    this.#drainMs = hooks.drainMs ?? DEFAULT_DRAIN_MS
    this.#fetchGraceMs = Math.min(hooks.fetchGraceMs ?? DEFAULT_FETCH_GRACE_MS, this.#drainMs)
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

  /** Aborts `fetchGraceMs` after a graceful stop: fetches still in flight then end, as ABORTED records. */
  get fetching(): AbortSignal {
    return this.#fetching.signal
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
    clearTimeout(this.#fetchTimer)
    this.#caller?.removeEventListener('abort', this.#onAbort)
    this.#stop?.removeEventListener('abort', this.#onStop)
  }

  readonly #onAbort = (): void => this.#run.abort(this.#caller?.reason)

  readonly #onStop = (): void => {
    this.#reading.abort()
    this.#drainTimer ??= setTimeout(() => this.#run.abort(new Error('stopped: pages in flight ran past the drain deadline')), this.#drainMs)
    const stopped = new PageError(ERROR_CODES.ABORTED, `the run was stopped while this page was still being fetched (${this.#fetchGraceMs} ms later it was cancelled); --resume fetches it again`)
    this.#fetchTimer ??= setTimeout(() => this.#fetching.abort(stopped), this.#fetchGraceMs)
  }
}
