import type { RunCache } from '../cache/run-cache.js'
import type { CallGate } from '../control/gate.js'
import { createExecutor } from '../executors/create.js'
import { PageFetcher } from '../fetch.js'
import { fetchSettingsOf } from '../fetch/settings.js'
import type { ResolvedOptions } from '../options.js'
import type { PageContext } from '../process-page.js'
import { modelName, type SummarizerConfig } from '../summarizers/config.js'

/**
 * What every page of a run shares: one fetcher (its connection pool sized to the run's
 * concurrency) and one executor (the strategy). `close()` waits for both; it never rejects.
 */
export function openPageContext(options: ResolvedOptions, summarizer: SummarizerConfig, gate?: CallGate, pagesAhead?: () => number | undefined, cache?: RunCache): { ctx: PageContext; close: () => Promise<void> } {
  const executor = createExecutor(options, summarizer, gate, pagesAhead === undefined ? {} : { pagesAhead }, cache)
  const fetcher = new PageFetcher(fetchSettingsOf(options))
  const ctx: PageContext = {
    fetcher,
    executor,
    provider: summarizer.provider,
    model: modelName(summarizer),
    maxChars: options.maxChars,
    maxInputChars: options.maxInputChars,
    template: options.template,
    charset: options.charset,
    cache,
  }
  return {
    ctx,
    close: async () => {
      await Promise.allSettled([executor.close(), fetcher.close()])
    },
  }
}
