import type { AnalyzeOutcome, AnalyzeTask, PreparedPage } from '../analyze.js'

/* What crosses between the pool (pool.ts) and its worker threads (workers/analyze.ts). */

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
/** The options a thread needs to load `WORKER_URL`: tsx's loader from source, none from dist/. */
export const WORKER_LOADER: { execArgv?: string[] } = ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}
