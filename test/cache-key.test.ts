import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CachedSummarizer } from '../src/cache/cached-summarizer.js'
import { RunCache } from '../src/cache/run-cache.js'
import { modelRequestFor, replyKey, type RenderedCall } from '../src/summarizers/model-request.js'
import type { Summarizer, SummaryRequest, SummaryResult } from '../src/summarizers/summarizer.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'summarize-urls-cache-key-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const page: SummaryRequest = { title: 'Tides', text: 'The tide rises twice a day. The moon pulls the sea.', lang: 'en', langDeclared: true, maxChars: 150 }

/** A model client whose prompt is rendered by `system` (a template, say), counting its calls. */
function counting(system: (req: SummaryRequest) => string): Summarizer & { calls: number; render(req: SummaryRequest): RenderedCall } {
  const model = {
    provider: 'bedrock' as const,
    calls: 0,
    render: (req: SummaryRequest): RenderedCall => ({ provider: 'bedrock', model: 'm', request: { ...modelRequestFor(req), system: system(req) } }),
    summarize: async (req: SummaryRequest): Promise<SummaryResult> => {
      model.calls += 1
      return { summary: `${model.render(req).request.system} ${req.title}`, model: 'm', usage: { inputTokens: 10, outputTokens: 5 }, attempts: 1 }
    },
    close: async () => {},
  }
  return model
}

describe('the reply cache key', () => {
  it('is what the model is sent: another prompt template misses, the same one hits, whatever else is equal', async () => {
    const cache = await RunCache.open(join(dir, 'cache'), 1024 * 1024)
    const plain = counting(() => 'Summarize.')
    const templated = counting(() => 'Summarize for a ten-year-old.')
    const first = await new CachedSummarizer(plain, cache).summarize(page)
    const other = await new CachedSummarizer(templated, cache).summarize(page)
    const again = await new CachedSummarizer(counting(() => 'Summarize.'), cache).summarize(page)
    expect([first.cache, other.cache, again.cache]).toEqual(['miss', 'miss', 'hit'])
    expect(other.summary).toBe('Summarize for a ten-year-old. Tides')
    expect(again.summary).toBe(first.summary)
    expect([plain.calls, templated.calls]).toEqual([1, 1])
  })

  it('changes with the provider, the model, the text, --max-chars and the reply cap, and with nothing else', () => {
    const key = (call: Partial<RenderedCall> = {}, req: Partial<SummaryRequest> = {}, cap?: number): string =>
      replyKey({ provider: 'bedrock', model: 'm', request: modelRequestFor({ ...page, ...req }, cap), ...call })
    const base = key()
    expect(key()).toBe(base)
    for (const changed of [key({ provider: 'openai' }), key({ model: 'n' }), key({}, { text: `${page.text} More.` }), key({}, { title: 'Tide' }), key({}, { maxChars: 151 }), key({}, {}, 10)]) {
      expect(changed).not.toBe(base)
    }
  })

  it('calls once for two requests with one key in flight at once (two URLs with the same content)', async () => {
    const cache = await RunCache.open(join(dir, 'cache'), 1024 * 1024)
    const model = counting(() => 'Summarize.')
    const cached = new CachedSummarizer(model, cache)
    const results = await Promise.all([cached.summarize(page), cached.summarize(page)])
    expect(model.calls).toBe(1)
    expect(results.map((r) => r.cache).sort()).toEqual(['hit', 'miss'])
  })
})
