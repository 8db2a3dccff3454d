import type { CallGate } from '../control/gate.js'
import type { RenderedCall } from '../summarizers/model-request.js'
import { replyKey } from '../summarizers/model-request.js'
import type { Summarizer, SummaryRequest, SummaryResult } from '../summarizers/summarizer.js'
import type { RunCache } from './run-cache.js'

/**
 * A summarizer whose replies are kept in the cache, keyed on exactly what the inner
 * summarizer would send (its `render`): a page whose rendered request was answered before,
 * under any URL and in any earlier run, is answered from the cache with no call. Only ok
 * replies are kept; an error is tried again next time. Within the process, concurrent
 * requests with one key share one call (two URLs with the same content at once); across
 * processes, two runs that miss the same key before either has stored it both call.
 */
export class CachedSummarizer implements Summarizer {
  readonly provider: Summarizer['provider']
  readonly #inner: Summarizer & { render(request: SummaryRequest): RenderedCall }
  readonly #cache: RunCache
  readonly #inFlight = new Map<string, Promise<SummaryResult>>()

  constructor(inner: Summarizer & { render(request: SummaryRequest): RenderedCall }, cache: RunCache) {
    this.provider = inner.provider
    this.#inner = inner
    this.#cache = cache
  }

  async summarize(request: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult> {
    const key = replyKey(this.#inner.render(request))
    const shared = this.#inFlight.get(key)
    if (shared !== undefined) {
      // The first caller's call answers this one too; if it failed, this one tries on its own.
      const result = await shared.catch(() => undefined)
      if (result !== undefined) return { ...result, attempts: 0, cache: 'hit' }
    }
    const call = this.#lookupOrCall(key, request, signal, gate)
    this.#inFlight.set(key, call)
    try {
      return await call
    } finally {
      if (this.#inFlight.get(key) === call) this.#inFlight.delete(key)
    }
  }

  async #lookupOrCall(key: string, request: SummaryRequest, signal: AbortSignal | undefined, gate: CallGate | undefined): Promise<SummaryResult> {
    const kept = await this.#cache.reply(key)
    if (kept !== undefined) return { summary: kept.summary, model: kept.model, usage: kept.usage, attempts: 0, cache: 'hit' }
    const result = await this.#inner.summarize(request, signal, gate)
    // Stored before the page's record is written: once a record says `miss`, the next run hits.
    await this.#cache.keepReply(key, { summary: result.summary, model: result.model, usage: result.usage })
    return { ...result, cache: 'miss' }
  }

  render(request: SummaryRequest): RenderedCall {
    return this.#inner.render(request)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}

/** The summarizer with the cache in front of it, when there is a cache and it calls a model. */
export function withCache(summarizer: Summarizer, cache: RunCache | undefined): Summarizer {
  const render = summarizer.render
  if (cache === undefined || render === undefined) return summarizer
  return new CachedSummarizer(summarizer as Summarizer & { render(request: SummaryRequest): RenderedCall }, cache)
}
