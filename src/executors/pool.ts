import { Piscina } from 'piscina'
import type { AnalyzeOutcome, AnalyzeTask } from '../analyze.js'
import { ERROR_CODES, type ErrorData } from '../errors.js'
import type { SummarizerConfig } from '../summarizers/config.js'
import type { Executor } from './executor.js'

/** What each worker thread receives once, at start-up. */
export interface WorkerInit {
  summarizer: SummarizerConfig
}

// From source (vitest, tsx) this module is .ts and so is the worker, which Node 20 can only
// load through tsx; from dist/ both are .js. The module's own extension tells which.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
export const WORKER_URL = new URL(`../../workers/analyze.${ownExtension}`, import.meta.url)

/**
 * The `pool` strategy: a Piscina pool of `threads` workers, each keeping
 * ceil(concurrency / threads) pages in flight, so model calls are not limited to the
 * number of threads while extraction runs off the main thread.
 */
export class PoolExecutor implements Executor {
  readonly strategy = 'pool' as const
  readonly concurrency: number
  readonly #pool: Piscina<AnalyzeTask, AnalyzeOutcome>

  constructor(threads: number, concurrency: number, summarizer: SummarizerConfig) {
    this.concurrency = concurrency
    const perWorker = Math.ceil(concurrency / threads)
    const workerData: WorkerInit = {
      // Each thread's HTTP agent needs only its share of the sockets.
      summarizer: summarizer.provider === 'bedrock' ? { provider: 'bedrock', settings: { ...summarizer.settings, maxSockets: perWorker } } : summarizer,
    }
    this.#pool = new Piscina({
      filename: WORKER_URL.href,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: perWorker,
      workerData,
      // Idle threads keep their Bedrock client and its warm connections for the whole run.
      idleTimeout: Number.POSITIVE_INFINITY,
      ...(ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}),
    })
  }

  async analyze(task: AnalyzeTask, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    if (signal?.aborted) return aborted()
    // Transfer the page bytes to the worker instead of copying them.
    const transferList = task.body.byteOffset === 0 && task.body.byteLength === task.body.buffer.byteLength ? [task.body.buffer as ArrayBuffer] : []
    // The signal is deliberately not given to Piscina: its balancer runs an abortable task
    // only on an idle worker (worker_pool/balancer: `isRunningAbortableTask`), which caps
    // in-flight model calls at one per thread. Aborting here ends the page at once; its
    // thread is stopped by close(), which the run calls as soon as it winds down.
    const running = this.#pool.run(task, { transferList })
    if (signal === undefined) return running.catch(crashed)
    let onAbort: (() => void) | undefined
    const abort = new Promise<AnalyzeOutcome>((resolve) => {
      onAbort = () => resolve(aborted())
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([running.catch(crashed), abort])
    } finally {
      signal.removeEventListener('abort', onAbort as () => void)
    }
  }

  async close(): Promise<void> {
    await this.#pool.destroy()
  }
}

function aborted(): AnalyzeOutcome {
  return failed({ code: ERROR_CODES.ABORTED, message: 'cancelled before the page finished', attempts: 1 })
}

/** Only a dead thread lands here: analyzePage itself never throws. */
function crashed(error: unknown): AnalyzeOutcome {
  return failed({ code: ERROR_CODES.WORKER_CRASHED, message: `worker thread failed: ${error instanceof Error ? error.message : String(error)}`, attempts: 1 })
}

function failed(error: ErrorData): AnalyzeOutcome {
  return { status: 'error', title: '', lang: '', timingsMs: { extract: 0, summarize: 0 }, error }
}
