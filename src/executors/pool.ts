import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Piscina } from 'piscina'
import type { Transferable } from 'node:worker_threads'
import type { CallGate } from '../control/gate.js'
import { analyzePage, summarizePrepared, type AnalyzeOutcome, type AnalyzeTask, type PreparedPage } from '../analyze.js'
import { withCache } from '../cache/cached-summarizer.js'
import type { RunCache } from '../cache/run-cache.js'
import { ERROR_CODES, type ErrorData } from '../errors.js'
import { createSummarizer, type SummarizerConfig } from '../summarizers/config.js'
import type { Summarizer } from '../summarizers/summarizer.js'
import type { Executor } from './executor.js'
import { CoreShare } from './core-share.js'
import { MainThreadLoad } from './main-thread-load.js'
import { PageQueue } from './page-queue.js'

/** What each worker thread receives once, at start-up. */
export interface WorkerInit {
  /**
   * Write the summary in the thread too: the offline summarizer is CPU work. A model call is
   * I/O: the thread returns the prepared page and the main thread makes the call.
   */
  summarize: boolean
}

/** What each task sends: the page, its bytes transferred. */
export interface WorkerTask {
  task: AnalyzeTask
}

/** A thread's answer: the whole outcome, or the prepared page when the main thread calls the model. */
export type WorkerResult = AnalyzeOutcome | PreparedPage

/** What a worker thread posts once its module has loaded (the `startup` probe times a thread until then). */
export const WORKER_READY = 'summarize-urls:worker-ready'

// From source (vitest, tsx) this module is .ts and so is the worker, which Node 20 can only
// load through tsx; from dist/ both are .js. The module's own extension tells which.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
export const WORKER_URL = new URL(`../../workers/analyze.${ownExtension}`, import.meta.url)

/** Heap a worker thread may use before it is stopped (a pathological page): it fails that page, not the run. */
export const DEFAULT_WORKER_MEMORY_MB = 1024

/**
 * Young-generation heap per thread. Extraction allocates a DOM per page and drops it: with
 * V8's default (16 MB) a thread spends its time in scavenges; at 64 MB a corpus run took
 * about 10% less CPU here (4.4–4.6 s against 4.8–5.5 s for 270 pages on 2 threads).
 */
const WORKER_YOUNG_GENERATION_MB = 64

/** The main thread's busy share past which pages go to threads (see MainThreadLoad). */
export const BUSY_THRESHOLD = 0.5

/**
 * Of a window, the share of page work on the main thread past which threads start (with the
 * main thread busy). Below it the main thread is busy with sockets and model calls, which
 * threads cannot take: the start-up burst of 50 light pages (cold code) reached 0.2–0.35 and
 * started two threads for nothing (2 isolates, 50 MB and 0.2 s of CPU on 200 pages); corpus
 * pages keep it at 0.8 and more.
 */
export const WORK_THRESHOLD = 0.5

/** Pages run on the main thread before its load is read: the first pages of a run are cold and slow. */
const MIN_INLINE_PAGES = 4

/**
 * Page work (CPU milliseconds, the mean so far times the pages still ahead) past
 * which threads start, when the run knows how many pages are ahead. On two cores, threads
 * finish a CPU-bound run about 1.25× faster than the main thread alone, so they save about
 * a fifth of the work ahead, and starting two costs about 0.35–0.5 s of wall time and 0.7 s
 * of CPU (isolates, module loading, cold code): they repay about 2 s of work and more. The
 * mean is read after a few pages, which run cold at 1.5–2× their warm cost, hence 3 s. The
 * bench's `cpu --quick` (60 corpus pages, 0.8 s of work) ran 25–60% slower with threads.
 */
export const THREAD_PAYBACK_MS = 3000

/**
 * Share of a core the main thread must get for its page work (CoreShare: time on a CPU over
 * time on one plus time waiting for one) before threads start. When the main thread cannot
 * get a core, threads cannot either: they only add isolates to the contention (on a machine
 * whose other programs kept a core busy, two threads ran the `cpu` workload 1.75× slower
 * than none, and `mixed` at 128 in flight 1.3–1.9× slower than `async`). Measured here over
 * the first 40 corpus pages, two cores: 0.72–0.91 on a quiet machine (V8's compiler and GC
 * threads take turns with it), 0.20–0.29 with one spinning process, 0.20–0.52 with two or a
 * loaded machine.
 */
export const MIN_CORE_SHARE = 0.6

/** Weight of the earlier pages in the core share at each page: about the last ten count. */
const SHARE_DECAY = 0.9

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
   * the work ahead repays them (THREAD_PAYBACK_MS).
   */
  pagesAhead?: () => number | undefined
  /** MIN_CORE_SHARE unless given (tests give 0 to exercise the other rules on a loaded machine). */
  minCoreShare?: number
  /**
   * The run's cache. The main thread owns it: it makes every model call anyway, so a
   * thread's prepared page comes back to it and is looked up there; threads never load
   * cacache or touch the directory.
   */
  cache?: RunCache | undefined
}

/**
 * The `pool` strategy: extraction on up to `threads` worker threads (Piscina), once the run
 * shows it needs them.
 *
 * Measured on two cores, threads cost before they pay: each starts a V8 isolate that loads
 * and compiles the extraction code on its own, and every page crosses to a thread and back.
 * A run whose main thread mostly waits (model-bound, light pages) is faster without them,
 * so pages run on the main thread, as `async` would, until the main thread is busy more
 * than BUSY_THRESHOLD of a window, WORK_THRESHOLD of it on page work; then the threads
 * start. From then on pages wait in one queue and each thread takes the next as it frees up
 * (PAGES_PER_THREAD at a time), so no thread idles while another has a backlog; the main thread takes a page itself only when
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
  readonly #load = new MainThreadLoad()
  #inlinePages = 0
  /** CPU time of the page work done on the main thread so far, in ms, over `#measuredPages` pages. */
  #inlineWorkMs = 0
  #measuredPages = 0
  readonly #coreShare = new CoreShare(SHARE_DECAY)
  readonly #minCoreShare: number
  /** Pages waiting for their turn on the main thread. */
  readonly #mainQueue = new PageQueue()
  /** Whether a page has the main thread, or is about to get it on the next turn of the event loop. */
  #mainTurn: 'idle' | 'scheduled' | 'running' = 'idle'
  readonly #pagesAhead: (() => number | undefined) | undefined
  /** Pages handed to the threads (at most threads × PAGES_PER_THREAD); the rest wait in `#waiting`. */
  #handedOver = 0
  /** Pages waiting for a place on a thread: each resumes when it is handed one, smallest first (see PageQueue). */
  readonly #waiting = new PageQueue()
  /** `startThreads: 'at-once'`: every page goes to a thread. */
  readonly #always: boolean
  /**
   * Fewer threads than cores: the main thread has a core to extract on. With a thread per
   * core it would only take CPU from them and hold up its own I/O (and the event loop).
   */
  readonly #spareCore: boolean
  /** A thread has loaded. Until then the cores are the main thread's to use. */
  #ready = false
  #pool: Promise<Piscina<WorkerTask, WorkerResult>> | undefined
  #isolation: Promise<Piscina<WorkerTask, WorkerResult>> | undefined

  constructor(threads: number, concurrency: number, summarizer: SummarizerConfig, gate?: CallGate, options: PoolOptions = {}) {
    this.concurrency = concurrency
    this.#threads = threads
    this.#gate = gate
    this.#summarizer = withCache(createSummarizer(summarizer), options.cache)
    this.#init = { summarize: summarizer.provider === 'extractive' }
    this.#memoryMb = options.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB
    this.#always = options.startThreads === 'at-once'
    this.#spareCore = threads < availableParallelism()
    this.#pagesAhead = options.pagesAhead
    this.#minCoreShare = options.minCoreShare ?? MIN_CORE_SHARE
    if (this.#always) this.#pool = this.#start(threads, PAGES_PER_THREAD)
  }

  /** Whether this run has started its threads (the main thread was found busy, or `startThreads: 'at-once'`). */
  get threadsStarted(): boolean {
    return this.#pool !== undefined
  }

  async analyze(task: AnalyzeTask, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    if (signal?.aborted) return aborted()
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
      const started = performance.now()
      const cpu = process.cpuUsage()
      this.#coreShare.start()
      const outcome = analyzePage(task, this.#summarizer, signal, this.#gate)
      // Its synchronous part is the page's CPU work (decode, extract, an offline summary).
      const wallMs = performance.now() - started
      this.#load.addWork(wallMs)
      // In CPU time, which a machine busy with other programs does not stretch as it does wall time.
      const used = process.cpuUsage(cpu)
      const cpuMs = (used.user + used.system) / 1000
      this.#inlineWorkMs += cpuMs
      this.#measuredPages += 1
      this.#coreShare.end()
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
      this.#inlinePages += 1
      this.#startIfBusy()
      return true
    }
    return this.#mainTakes()
  }

  /** Starts the threads once the main thread is busy with page work that the run's work ahead repays, on cores it gets. */
  #startIfBusy(): void {
    const busy = this.#load.busy()
    if (this.#inlinePages > MIN_INLINE_PAGES && busy !== undefined && busy >= BUSY_THRESHOLD && (this.#load.work() ?? 0) >= WORK_THRESHOLD && this.#repays() && this.#hasCores()) {
      this.#pool = this.#start(this.#threads, PAGES_PER_THREAD)
    }
  }

  /** Once threads run: whether the main thread takes a page itself (see #runsInline). */
  #mainTakes(): boolean {
    const busy = this.#load.busy()
    return (this.#spareCore || !this.#ready) && this.#waiting.length >= this.#threads && busy !== undefined && busy < BUSY_THRESHOLD
  }

  /** Whether the main thread gets a core for its page work: if it does not, other programs have the cores threads would need. */
  #hasCores(): boolean {
    return (this.#coreShare.share ?? 0) >= this.#minCoreShare
  }

  /** Whether the work ahead is worth starting threads for: always, when the run cannot tell how much is ahead. */
  #repays(): boolean {
    const ahead = this.#pagesAhead?.()
    if (ahead === undefined) return true
    const measured = this.#measuredPages
    return measured > 0 && ahead * (this.#inlineWorkMs / measured) >= THREAD_PAYBACK_MS
  }

  /** The page's thread stage, ended at once (ABORTED) by `signal`. */
  async #threadStage(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<WorkerResult> {
    // The signal is deliberately not given to Piscina: its balancer runs an abortable task
    // only on an idle worker (worker_pool/balancer: `isRunningAbortableTask`), which caps
    // pages in flight at one per thread. Aborting here ends the page at once; its thread is
    // stopped by close(), which the run calls as soon as it winds down.
    let onAbort: (() => void) | undefined
    const abort = new Promise<AnalyzeOutcome>((resolve) => {
      onAbort = () => resolve(aborted())
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([this.#queued(task, signal), abort])
    } finally {
      signal?.removeEventListener('abort', onAbort as () => void)
    }
  }

  /** The page on a thread once it has a place there; the place goes to the next waiting page after. */
  async #queued(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<WorkerResult> {
    if (this.#handedOver < this.#threads * PAGES_PER_THREAD) this.#handedOver += 1
    else await this.#waiting.wait(task.body.byteLength)
    try {
      // Cancelled while it waited: its place passes on at once.
      return signal?.aborted ? aborted() : await this.#inThread(task, signal)
    } finally {
      if (!this.#waiting.next()) this.#handedOver -= 1
    }
  }

  /** A pool of `threads`; Piscina is loaded here, so a run that never needs threads never loads it. */
  async #start(threads: number, perWorker: number): Promise<Piscina<WorkerTask, WorkerResult>> {
    const { Piscina } = await import('piscina')
    const pool = new Piscina<WorkerTask, WorkerResult>({
      filename: WORKER_URL.href,
      workerData: this.#init,
      // Idle threads keep their compiled code for the whole run.
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: this.#memoryMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      ...(ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}),
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: perWorker,
    })
    pool.on('message', (message: unknown) => {
      if (message === WORKER_READY) this.#ready = true
    })
    return pool
  }

  async #inThread(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<WorkerResult> {
    try {
      return await this.#run(await (this.#pool as Promise<Piscina<WorkerTask, WorkerResult>>), task)
    } catch (error) {
      if (signal?.aborted) return aborted()
      // The thread died, maybe because of another page it was running: try this one alone.
      // minThreads 1: with 0, Piscina 5.3 does not replace a thread that died while tasks wait, and they hang.
      this.#isolation ??= this.#start(1, 1)
      try {
        return await this.#run(await this.#isolation, task)
      } catch (again) {
        return signal?.aborted ? aborted() : crashed(again, error)
      }
    }
  }

  /** One attempt on `pool`: a copy of the bytes is transferred, so the page can be tried again if the thread dies. */
  #run(pool: Piscina<WorkerTask, WorkerResult>, task: AnalyzeTask): Promise<WorkerResult> {
    // A copy with a buffer of its own: a Node Buffer's slice() is a view, often into a pool
    // shared with other Buffers, and transferring that would detach them all.
    const body = new Uint8Array(task.body)
    const transferList: Transferable[] = [body.buffer as ArrayBuffer]
    return pool.run({ task: { ...task, body } }, { transferList })
  }

  summarize(prepared: PreparedPage, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    return summarizePrepared(prepared, this.#summarizer, signal, this.#gate)
  }

  async close(): Promise<void> {
    this.#coreShare.close()
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
  return { status: 'error', title: '', lang: '', timingsMs: { extract: 0, summarize: 0 }, error }
}
