import type { AnalyzeOutcome, AnalyzeTask, PreparedPage } from '../analyze.js'
import type { Strategy } from '../options.js'

/**
 * Where the CPU-and-model half of a page runs. The run loop fetches on the main thread
 * and keeps at most `concurrency` pages in flight; an executor only decides where
 * `analyzePage` runs, so strategies differ in scheduling and nothing else.
 */
export interface Executor {
  readonly strategy: Strategy
  /** Pages the run loop may have in flight at once. */
  readonly concurrency: number
  analyze(task: AnalyzeTask, signal?: AbortSignal): Promise<AnalyzeOutcome>
  /** The model half only, on the main thread: a page the page cache already holds extracted (a `304`). */
  summarize(prepared: PreparedPage, signal?: AbortSignal): Promise<AnalyzeOutcome>
  close(): Promise<void>
}
