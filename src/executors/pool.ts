import { channel } from 'node:diagnostics_channel'
import { availableParallelism } from 'node:os'
import type { CallGate } from '../control/gate.js'
import { analyzePage, summarizePrepared, type AnalyzeOutcome, type AnalyzeTask, type PreparedPage } from '../analyze.js'
import { withCache } from '../cache/cached-summarizer.js'
import type { RunCache } from '../cache/run-cache.js'
import { ERROR_CODES, type ErrorData } from '../errors.js'
import { createSummarizer, type SummarizerConfig } from '../summarizers/config.js'
import type { Summarizer } from '../summarizers/summarizer.js'
import type { Executor } from './executor.js'
import { PageQueue } from './page-queue.js'
import type { PagePool } from './thread-pool.js'
import { ThreadPolicy, type ThreadPolicyOptions, type ThreadSignals } from './thread-policy.js'
import { WORKER_READY, type WorkerInit, type WorkerResult } from './worker-protocol.js'

/**
 * Where the pool tells observers when its threads start and when the first is ready
 * (`{ event: 'start', threads }`, `{ event: 'ready' }`): the bench reads a run's thread
 * start-up from it without reaching into the executor. Publishing costs nothing unsubscribed.
 */
export const POOL_CHANNEL = channel('summarize-urls:pool')

export type PoolEvent = { event: 'start'; threads: number } | { event: 'ready' }

/** Heap a worker thread may use before it is stopped (a pathological page): it fails that page, not the run. */
export const DEFAULT_WORKER_MEMORY_MB = 1024

/**
 * Pages a thread holds at once: the one it works on and the next, so it starts that one
 * without waiting for the main thread to answer. More would tie pages to one thread while
 * another sits idle (page costs differ tenfold), and keep them from an idle main thread.
 */
const PAGES_PER_THREAD = 2

export interface PoolOptions {
  /** Old-generation heap limit per thread, in MB. Default 1024. */
  workerMemoryMb?: number
  /**
   * When pages go to threads. `'when-busy'`: pages run on the main thread until it is busy
   * more than half the time, then threads start and pages queue for them (see PoolExecutor).
   * `'at-once'`: threads start now and take every page. Default `'when-busy'`.
   */
  startThreads?: 'when-busy' | 'at-once'
  /**
   * Pages of the run not yet analyzed (unread lines and pages in flight), when the run knows
   * its input's length; undefined when it does not (stdin). With it, threads start only when
   * the work ahead repays them (ThreadPolicyOptions.paybackMs).
   */
  pagesAhead?: () => number | undefined
  /** When threads start and when the main thread takes a page: thread-policy.ts, each threshold with its measurement. */
  policy?: ThreadPolicyOptions
  /** The policy's `minCoreShare`, alone (tests give 0 to exercise the other rules on a loaded machine). */
  minCoreShare?: number
  /**
   * The run's cache. The main thread owns it: it makes every model call anyway, so a
   * thread's prepared page comes back to it and is looked up there; threads never load
   * cacache or touch the directory.
   */
  cache?: RunCache | undefined
  /** The clock pages waiting for a thread are aged by, in ms (tests freeze it to see the order by size alone). */
  queueClock?: () => number
}

/**
 * The `pool` strategy: extraction on up to `threads` worker threads (Piscina), once the run
 * shows it needs them.
 *
 * Measured on two cores, threads cost before they pay: each starts a V8 isolate that loads
 * and compiles the extraction code on its own, and every page crosses to a thread and back.
 * A run whose main thread mostly waits (model-bound, light pages) is faster without them,
 * so pages run on the main thread, as `async` would, until the main thread is busy more
 * than the policy's busy share of a window, half of it on page work (ThreadPolicy); then the threads
 * start. From then on pages wait in Piscina's queue, smallest first (task-queue.ts), and each
 * thread takes the next as it frees up (PAGES_PER_THREAD at a time), so no thread idles while
 * another has a backlog; the main thread takes a page itself only when
 * it has a core to spare (fewer threads than cores, or none loaded yet), it is idle, and the
 * queue is long enough that the page would wait longer than it takes. Pages queue as soon
 * as the threads start, so the busy main thread is free for fetches and model calls instead
 * of extracting the pages that made it busy. Model calls always run on the main thread,
 * with the run's one client and rate controller: a thread does the CPU half (and the
 * summary, offline).
 *
 * A thread that dies (out of memory on a pathological page) takes every task it was running
 * with it. Those tasks are run again, one at a time, on a separate single-thread pool: the
 * innocent pages succeed there, and only the page that kills a thread on its own is
 * reported WORKER_CRASHED.
 */
export class PoolExecutor implements Executor {
  readonly strategy = 'pool' as const
  readonly concurrency: number
  readonly #threads: number
  readonly #summarizer: Summarizer
  readonly #gate: CallGate | undefined
  readonly #init: WorkerInit
  readonly #memoryMb: number
  readonly #policy: ThreadPolicy
  /** Pages waiting for their turn on the main thread. */
  readonly #mainQueue = new PageQueue()
  /** Whether a page has the main thread, or is about to get it on the next turn of the event loop. */
  #mainTurn: 'idle' | 'scheduled' | 'running' = 'idle'
  /** `startThreads: 'at-once'`: every page goes to a thread. */
  readonly #always: boolean
  /**
   * Fewer threads than cores: the main thread has a core to extract on. With a thread per
   * core it would only take CPU from them and hold up its own I/O (and the event loop).
   */
  readonly #spareCore: boolean
  /** A thread has loaded. Until then the cores are the main thread's to use. */
  #ready = false
  #pool: Promise<PagePool> | undefined
  /** The run's pool once loaded, for the length of its queue. */
  #started: PagePool | undefined
  #isolation: Promise<PagePool> | undefined
  readonly #queueClock: (() => number) | undefined

  constructor(threads: number, concurrency: number, summarizer: SummarizerConfig, gate?: CallGate, options: PoolOptions = {}) {
    this.concurrency = concurrency
    this.#threads = threads
    this.#gate = gate
    this.#summarizer = withCache(createSummarizer(summarizer), options.cache)
    this.#init = { summarize: summarizer.provider === 'extractive' }
    this.#memoryMb = options.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB
    this.#always = options.startThreads === 'at-once'
    this.#queueClock = options.queueClock
    this.#spareCore = threads < availableParallelism()
    this.#policy = new ThreadPolicy({ ...options.policy, ...(options.minCoreShare === undefined ? {} : { minCoreShare: options.minCoreShare }) }, options.pagesAhead)
    if (this.#always) this.#pool = this.#startThreads()
  }

  /** The load signals the thread policy reads, as it last read them. */
  get signals(): ThreadSignals {
    return this.#policy.signals()
  }

  /** Whether this run has started its threads (the main thread was found busy, or `startThreads: 'at-once'`). */
  get threadsStarted(): boolean {
    return this.#pool !== undefined
  }

  async analyze(task: AnalyzeTask, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    if (signal?.aborted) return aborted()
    // A PDF is the heaviest page there is (PDF.js parses fonts and content streams for
    // seconds on a long one): it always goes to the threads, started for it if need be, and
    // never holds the main thread's event loop.
    if (task.contentType === 'application/pdf') {
      this.#pool ??= this.#start(this.#threads, PAGES_PER_THREAD)
      return this.#onThread(task, signal)
    }
    if (this.#runsInline()) return this.#onMainThread(task, signal)
    return this.#onThread(task, signal)
  }

  async #onThread(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<AnalyzeOutcome> {
    const result = await this.#threadStage(task, signal)
    return result.status === 'prepared' ? summarizePrepared(result, this.#summarizer, signal, this.#gate) : result
  }

  /**
   * A page's CPU work on the main thread, when its turn comes: pages waiting for the main
   * thread go smallest first too (PageQueue), one per turn of the event loop, so bodies that
   * arrive while a page is extracted compete for the next turn.
   */
  async #onMainThread(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<AnalyzeOutcome> {
    const turn = this.#mainQueue.wait(task.body.byteLength)
    this.#nextMainTurn()
    await turn
    // A page's turn is also a moment to start the threads: when every page of the run arrived
    // before the main thread's load could be read (concurrency above the pages left), no
    // later arrival would ever start them.
    if (this.#pool === undefined) this.#startIfBusy()
    // Threads started while this page waited: it goes to them unless the main thread may still take it.
    const handOver = this.#pool !== undefined && !this.#always && !this.#mainTakes()
    try {
      if (signal?.aborted) return aborted()
      if (handOver) return this.#onThread(task, signal)
      const measured = this.#policy.beginWork()
      const outcome = analyzePage(task, this.#summarizer, signal, this.#gate)
      // Its synchronous part is the page's CPU work (decode, extract, an offline summary).
      measured()
      return outcome
    } finally {
      this.#mainTurn = 'idle'
      this.#nextMainTurn()
    }
  }

  /** Gives the main thread to the next waiting page after a turn of the event loop (I/O first), unless a page has it. */
  #nextMainTurn(): void {
    if (this.#mainTurn !== 'idle' || this.#mainQueue.length === 0) return
    this.#mainTurn = 'scheduled'
    setImmediate(() => {
      this.#mainTurn = this.#mainQueue.next() ? 'running' : 'idle'
    })
  }

  /**
   * Where the next page runs. Before the threads start: here, starting them once the main
   * thread is busy. After: in the threads' queue, unless a core is left for the main thread
   * (fewer threads than cores, or none loaded yet), it is idle, and the queue already holds a
   * page for every thread, so this one would wait at least a page's time (the `always` mode
   * hands every page over).
   */
  #runsInline(): boolean {
    if (this.#always) return false
    if (this.#pool === undefined) {
      this.#policy.pageArrived()
      this.#startIfBusy()
      return true
    }
    return this.#mainTakes()
  }

  /** Starts the threads when the policy says so (thread-policy.ts). */
  #startIfBusy(): void {
    if (this.#policy.shouldStart()) this.#pool = this.#startThreads()
  }

  /** Once threads run: whether the main thread takes a page itself (see #runsInline). */
  #mainTakes(): boolean {
    // queueSize: pages beyond what the threads (started or starting) hold, smallest first.
    return this.#policy.mainTakes(this.#spareCore || !this.#ready, this.#started?.queueSize ?? 0, this.#threads)
  }

  /** The page's thread stage, ended at once (ABORTED) by `signal`. */
  async #threadStage(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<WorkerResult> {
    // The signal is deliberately not given to Piscina: its balancer runs an abortable task
    // only on an idle worker (worker_pool/balancer: `isRunningAbortableTask`), which caps
    // pages in flight at one per thread. Aborting here ends the page at once; its thread is
    // stopped, and a task still in the queue dropped, by close(), which the run calls as soon
    // as it winds down.
    let onAbort: (() => void) | undefined
    const abort = new Promise<AnalyzeOutcome>((resolve) => {
      onAbort = () => resolve(aborted())
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([this.#inThread(task, signal), abort])
    } finally {
      signal?.removeEventListener('abort', onAbort as () => void)
    }
  }

  /** The run's threads (not the isolation pool's): their start and first ready thread are published on POOL_CHANNEL. */
  #startThreads(): Promise<PagePool> {
    if (POOL_CHANNEL.hasSubscribers) POOL_CHANNEL.publish({ event: 'start', threads: this.#threads } satisfies PoolEvent)
    return this.#start(this.#threads, PAGES_PER_THREAD).then((pool) => {
      this.#started = pool
      pool.onMessage((message) => {
        if (message === WORKER_READY && POOL_CHANNEL.hasSubscribers) POOL_CHANNEL.publish({ event: 'ready' } satisfies PoolEvent)
      })
      return pool
    })
  }

  /** A pool of `threads`; piscina is loaded here, so a run that never needs threads never loads it. */
  async #start(threads: number, perThread: number): Promise<PagePool> {
    const { PagePool } = await import('./thread-pool.js')
    const pool = new PagePool({ threads, perThread, memoryMb: this.#memoryMb, init: this.#init, ...(this.#queueClock === undefined ? {} : { now: this.#queueClock }) })
    pool.onMessage((message) => {
      if (message === WORKER_READY) this.#ready = true
    })
    return pool
  }

  async #inThread(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<WorkerResult> {
    if (signal?.aborted) return aborted()
    try {
      return await (await (this.#pool as Promise<PagePool>)).run(task)
    } catch (error) {
      if (signal?.aborted) return aborted()
      // The thread died, maybe because of another page it was running: try this one alone.
      // minThreads 1: with 0, Piscina 5.3 does not replace a thread that died while tasks wait, and they hang.
      this.#isolation ??= this.#start(1, 1)
      try {
        return await (await this.#isolation).run(task)
      } catch (again) {
        return signal?.aborted ? aborted() : crashed(again, error)
      }
    }
  }

  summarize(prepared: PreparedPage, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    return summarizePrepared(prepared, this.#summarizer, signal, this.#gate)
  }

  async close(): Promise<void> {
    this.#policy.close()
    const pools = await Promise.all([this.#pool, this.#isolation])
    await Promise.all([...pools.map((pool) => pool?.destroy()), this.#summarizer.close()])
  }
}

function aborted(): AnalyzeOutcome {
  return failed({ code: ERROR_CODES.ABORTED, message: 'cancelled before the page finished', attempts: 1 })
}

/** Only a dead thread lands here, twice: a worker's page function never throws. */
function crashed(error: unknown, first: unknown): AnalyzeOutcome {
  const reason = (e: unknown): string => (e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e))
  return failed({ code: ERROR_CODES.WORKER_CRASHED, message: `the worker thread died on this page, also when it ran alone (${reason(first)}; then ${reason(error)})`, attempts: 2 })
}

function failed(error: ErrorData): AnalyzeOutcome {
  return { status: 'error', title: '', lang: '', charset: null, pages: null, timingsMs: { extract: 0, summarize: 0 }, error }
}
