import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { MAX_TITLE_CHARS } from '../src/extract.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { runLines } from './helpers/run.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

/**
 * A page's <title> is page input like its text (issue 10, item 2): a 4 MB title once went to
 * the model whole (a million input tokens) and into the record. The title is cut for the
 * record, and title plus text together stay within --max-input-chars.
 */

const MAX_INPUT_CHARS = 2000
/** The system prompt and the instruction lines around the page: about 700 characters of ASCII. */
const PROMPT_OVERHEAD_CHARS = 1000
const HUGE_TITLE = 'Breaking news about the harbour '.repeat(125_000) // 4 MB

let server: TestServer
let emulator: RunningEmulator

beforeAll(async () => {
  const page = articlePage('the harbour').replace(/<title>[^<]*<\/title>/, `<title>${HUGE_TITLE}</title>`)
  server = await startServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(page))
  emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0 })
  process.env['AWS_ACCESS_KEY_ID'] = 'test'
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test'
})

afterAll(() => Promise.all([server.close(), emulator.close()]))

describe('a page with a 4 MB <title>', () => {
  it(`gets a record title of at most ${MAX_TITLE_CHARS} characters, and a prompt within --max-input-chars`, async () => {
    const bedrock: SummarizerConfig = {
      provider: 'bedrock',
      settings: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1', endpoint: emulator.url, maxSockets: 1, requestTimeoutMs: 10_000, retry: DEFAULT_RETRY_POLICY },
    }
    const { records } = await runLines([`${server.url}/huge-title`], { strategy: 'async', concurrency: 1, maxInputChars: MAX_INPUT_CHARS }, bedrock)

    const [record] = records
    expect(record?.status).toBe('ok')
    expect(record?.title?.length).toBeLessThanOrEqual(MAX_TITLE_CHARS)
    expect(record?.title).toMatch(/^Breaking news about the harbour Breaking news/)
    // The emulator counts a quarter token per ASCII character.
    expect(record?.usage?.inputTokens).toBeLessThanOrEqual((MAX_INPUT_CHARS + PROMPT_OVERHEAD_CHARS) / 4)
  })

  it('gets the same capped title from the offline summarizer in a worker thread', async () => {
    const { records } = await runLines([`${server.url}/huge-title`], { strategy: 'pool', threads: 1, concurrency: 1, maxInputChars: MAX_INPUT_CHARS })

    expect(records.map((r) => [r.status, r.title?.length])).toEqual([['ok', MAX_TITLE_CHARS]])
  })
})
