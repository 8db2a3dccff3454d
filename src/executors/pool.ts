import { MessageChannel, type MessagePort, type Transferable } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { serveGate } from '../control/gate-port.js'
import type { CallGate } from '../control/gate.js'
import type { AnalyzeOutcome, AnalyzeTask } from '../analyze.js'
import { ERROR_CODES, type ErrorData } from '../errors.js'
import { perThread, type SummarizerConfig } from '../summarizers/config.js'
import type { Executor } from './executor.js'

/** What each worker thread receives once, at start-up. */
export interface WorkerInit {
  summarizer: SummarizerConfig
}

/** What each task sends: the page, and a port to the run's rate controller when there is one. */
export interface WorkerTask {
  task: AnalyzeTask
  gate?: MessagePort
}

// From source (vitest, tsx) this module is .ts and so is the worker, which Node 20 can only
// load through tsx; from dist/ both are .js. The module's own extension tells which.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
export const WORKER_URL = new URL(`../../workers/analyze.${ownExtension}`, import.meta.url)

/** Heap a worker thread may use before it is stopped (a pathological page): it fails that page, not the run. */
export const DEFAULT_WORKER_MEMORY_MB = 1024

export interface PoolOptions {
  /** Old-generation heap limit per thread, in MB. Default 1024. */
  workerMemoryMb?: number
}

/**
 * The `pool` strategy: a Piscina pool of `threads` workers, each keeping
 * ceil(concurrency / threads) pages in flight, so model calls are not limited to the
 * number of threads while extraction runs off the main thread.
 *
 * A thread that dies (out of memory on a pathological page) takes every task it was running
 * with it. Those tasks are run again, one at a time, on a separate single-thread pool: the
 * innocent pages succeed there, and only the page that kills a thread on its own is
 * reported WORKER_CRASHED.
 */
export class PoolExecutor implements Executor {
  readonly strategy = 'pool' as const
  readonly concurrency: number
  readonly #pool: Piscina<WorkerTask, AnalyzeOutcome>
  readonly #options: ConstructorParameters<typeof Piscina>[0]
  #isolation: Piscina<WorkerTask, AnalyzeOutcome> | undefined
  readonly #gate: CallGate | undefined

  constructor(threads: number, concurrency: number, summarizer: SummarizerConfig, gate?: CallGate, options: PoolOptions = {}) {
    this.concurrency = concurrency
    this.#gate = gate
    const perWorker = Math.ceil(concurrency / threads)
    const workerData: WorkerInit = {
      // Each thread's HTTP agent needs only its share of the sockets.
      summarizer: perThread(summarizer, perWorker),
    }
    this.#options = {
      filename: WORKER_URL.href,
      workerData,
      // Idle threads keep their Bedrock client and its warm connections for the whole run.
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: options.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB },
      ...(ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}),
    }
    this.#pool = new Piscina({ ...this.#options, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: perWorker })
  }

  async analyze(task: AnalyzeTask, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    if (signal?.aborted) return aborted()
    // The signal is deliberately not given to Piscina: its balancer runs an abortable task
    // only on an idle worker (worker_pool/balancer: `isRunningAbortableTask`), which caps
    // in-flight model calls at one per thread. Aborting here ends the page at once; its
    // thread is stopped by close(), which the run calls as soon as it winds down.
    let onAbort: (() => void) | undefined
    const abort = new Promise<AnalyzeOutcome>((resolve) => {
      onAbort = () => resolve(aborted())
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([this.#analyze(task, signal), abort])
    } finally {
      signal?.removeEventListener('abort', onAbort as () => void)
    }
  }

  async #analyze(task: AnalyzeTask, signal: AbortSignal | undefined): Promise<AnalyzeOutcome> {
    try {
      return await this.#run(this.#pool, task, signal)
    } catch (error) {
      if (signal?.aborted) return aborted()
      // The thread died, maybe because of another page it was running: try this one alone.
      // minThreads 1: with 0, Piscina 5.3 does not replace a thread that died while tasks wait, and they hang.
      this.#isolation ??= new Piscina({ ...this.#options, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 1 })
      try {
        return await this.#run(this.#isolation, task, signal)
      } catch (again) {
        return signal?.aborted ? aborted() : crashed(again, error)
      }
    }
  }

  /** One attempt on `pool`: a copy of the bytes is transferred, so the page can be tried again if the thread dies. */
  async #run(pool: Piscina<WorkerTask, AnalyzeOutcome>, task: AnalyzeTask, signal: AbortSignal | undefined): Promise<AnalyzeOutcome> {
    const body = task.body.slice()
    const transferList: Transferable[] = [body.buffer as ArrayBuffer]
    if (this.#gate === undefined) return pool.run({ task: { ...task, body } }, { transferList })
    const channel = new MessageChannel()
    const release = serveGate(channel.port1, this.#gate, signal)
    transferList.push(channel.port2)
    try {
      return await pool.run({ task: { ...task, body }, gate: channel.port2 }, { transferList })
    } finally {
      // Permits a dead thread still held are given back here.
      release()
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.destroy(), this.#isolation?.destroy()])
  }
}

function aborted(): AnalyzeOutcome {
  return failed({ code: ERROR_CODES.ABORTED, message: 'cancelled before the page finished', attempts: 1 })
}

/** Only a dead thread lands here, twice: analyzePage itself never throws. */
function crashed(error: unknown, first: unknown): AnalyzeOutcome {
  const reason = (e: unknown): string => (e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e))
  return failed({ code: ERROR_CODES.WORKER_CRASHED, message: `the worker thread died on this page, also when it ran alone (${reason(first)}; then ${reason(error)})`, attempts: 2 })
}

function failed(error: ErrorData): AnalyzeOutcome {
  return { status: 'error', title: '', lang: '', timingsMs: { extract: 0, summarize: 0 }, error }
}
