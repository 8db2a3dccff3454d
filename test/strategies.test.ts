import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'
import { runLines } from './helpers/run.js'

let pages: StaticServer
let emulator: RunningEmulator
// Every third corpus page: a spread of languages, sizes and layouts, in a few seconds.
const names = corpusPageNames().filter((_, i) => i % 3 === 0)

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  // No overshoot: replies then depend only on the page, not on which call drew the dice.
  emulator = await startEmulator({ seed: 1, latencyMs: 5, jitterMs: 5, overshootRate: 0 })
})
afterAll(() => Promise.all([pages.close(), emulator.close()]))

const urls = () => names.map((name) => `${pages.url}/${name}/source.html`)

async function summaries(strategy: 'sequential' | 'async' | 'pool', summarizer?: SummarizerConfig) {
  const { records } = await runLines(urls(), { strategy, ...(strategy === 'sequential' ? {} : { concurrency: 8 }), threads: 2 }, summarizer)
  return records.map((r) => ({ line: r.line, status: r.status, title: r.title, lang: r.lang, summary: r.summary }))
}

describe('strategies differ only in scheduling', () => {
  it('sequential, async and pool produce the same records with the extractive summarizer', async () => {
    const [sequential, inline, pool] = [await summaries('sequential'), await summaries('async'), await summaries('pool')]
    expect(sequential.every((r) => r.status === 'ok')).toBe(true)
    expect(inline).toEqual(sequential)
    expect(pool).toEqual(sequential)
  })

  it('sequential, async and pool produce the same summaries through Bedrock (the emulator)', async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'test'
    process.env['AWS_SECRET_ACCESS_KEY'] = 'test'
    const bedrock: SummarizerConfig = {
      provider: 'bedrock',
      settings: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1', endpoint: emulator.url, maxSockets: 8, requestTimeoutMs: 10_000, retry: DEFAULT_RETRY_POLICY },
    }
    const [sequential, inline, pool] = [await summaries('sequential', bedrock), await summaries('async', bedrock), await summaries('pool', bedrock)]
    expect(sequential.every((r) => r.status === 'ok')).toBe(true)
    expect(inline).toEqual(sequential)
    expect(pool).toEqual(sequential)
  })
})
