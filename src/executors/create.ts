import type { RunCache } from '../cache/run-cache.js'
import type { CallGate } from '../control/gate.js'
import type { ResolvedOptions } from '../options.js'
import type { SummarizerConfig } from '../summarizers/config.js'
import type { Executor } from './executor.js'
import { InlineExecutor } from './inline.js'
import { PoolExecutor, type PoolOptions } from './pool.js'

export function createExecutor(options: Pick<ResolvedOptions, 'strategy' | 'concurrency' | 'threads'>, summarizer: SummarizerConfig, gate?: CallGate, pool: Pick<PoolOptions, 'pagesAhead'> = {}, cache?: RunCache): Executor {
  switch (options.strategy) {
    case 'sequential':
    case 'async':
      return new InlineExecutor(options.strategy, options.concurrency, summarizer, gate, cache)
    case 'pool':
      return new PoolExecutor(options.threads, options.concurrency, summarizer, gate, cache === undefined ? pool : { ...pool, cache })
  }
}
