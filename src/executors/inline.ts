import type { CallGate } from '../control/gate.js'
import { analyzePage, summarizePrepared, type AnalyzeOutcome, type AnalyzeTask, type PreparedPage } from '../analyze.js'
import { withCache } from '../cache/cached-summarizer.js'
import type { RunCache } from '../cache/run-cache.js'
import { createSummarizer, type SummarizerConfig } from '../summarizers/config.js'
import type { Summarizer } from '../summarizers/summarizer.js'
import type { Executor } from './executor.js'

/**
 * Runs `analyzePage` on the main thread. With concurrency 1 this is the `sequential`
 * strategy (pandas `apply`); with N it is `async` (asyncio with a semaphore): model calls
 * overlap, but extraction blocks the event loop while it runs.
 */
export class InlineExecutor implements Executor {
  readonly strategy: 'sequential' | 'async'
  readonly concurrency: number
  readonly #summarizer: Summarizer
  readonly #gate: CallGate | undefined

  constructor(strategy: 'sequential' | 'async', concurrency: number, summarizer: SummarizerConfig, gate?: CallGate, cache?: RunCache) {
    this.strategy = strategy
    this.concurrency = concurrency
    this.#summarizer = withCache(createSummarizer(summarizer), cache)
    this.#gate = gate
  }

  analyze(task: AnalyzeTask, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    return analyzePage(task, this.#summarizer, signal, this.#gate)
  }

  summarize(prepared: PreparedPage, signal?: AbortSignal): Promise<AnalyzeOutcome> {
    return summarizePrepared(prepared, this.#summarizer, signal, this.#gate)
  }

  close(): Promise<void> {
    return this.#summarizer.close()
  }
}
