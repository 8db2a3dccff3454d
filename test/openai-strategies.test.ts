import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'
import { runLines } from './helpers/run.js'

let pages: StaticServer
let emulator: RunningEmulator
// Every fifth corpus page: a spread of languages and layouts, in a few seconds.
const names = corpusPageNames().filter((_, i) => i % 5 === 0)

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  // No overshoot: replies then depend only on the page, not on which call drew the dice.
  emulator = await startEmulator({ seed: 1, latencyMs: 5, jitterMs: 5, overshootRate: 0 })
})
afterAll(() => Promise.all([pages.close(), emulator.close()]))

const openai = (): SummarizerConfig => ({
  provider: 'openai',
  settings: { model: 'gpt-4o-mini', baseURL: `${emulator.url}/v1`, apiKey: 'sk-strategies-test', maxSockets: 8, requestTimeoutMs: 10_000, retry: DEFAULT_RETRY_POLICY },
})

async function records(strategy: 'sequential' | 'async' | 'pool') {
  const urls = names.map((name) => `${pages.url}/${name}/source.html`)
  const run = await runLines(urls, { strategy, ...(strategy === 'sequential' ? {} : { concurrency: 8 }), threads: 2 }, openai())
  return run.records.map((r) => ({ line: r.line, status: r.status, provider: r.provider, summary: r.summary, usage: r.usage }))
}

describe('the OpenAI provider under every strategy', () => {
  it('sequential, async and pool (worker threads building their own client) give the same records', async () => {
    const sequential = await records('sequential')
    expect(sequential.every((r) => r.status === 'ok' && r.provider === 'openai' && (r.usage?.inputTokens ?? 0) > 0)).toBe(true)
    expect(await records('async')).toEqual(sequential)
    expect(await records('pool')).toEqual(sequential)
  }, 60_000)
})
