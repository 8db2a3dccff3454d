import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { RateController } from '../src/control/rate.js'
import type { RetryPolicy } from '../src/control/retry.js'
import type { EmulatorOptions, RunningEmulator } from '../src/emulator/server.js'
import { ERROR_CODES, PageError } from '../src/errors.js'
import { OpenAISummarizer, type OpenAISettings } from '../src/summarizers/openai.js'
import { classifyOpenAIError } from '../src/summarizers/openai-errors.js'
import type { SummaryRequest } from '../src/summarizers/summarizer.js'
import { quietEmulator } from './helpers/bedrock.js'
import { jsonReply, scriptedServer, type Received, type Reply } from './helpers/scripted-server.js'

const KEY = 'sk-test-openai-key-that-must-never-be-printed-0123'
const TINY_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5000 }
const REQUEST: SummaryRequest = {
  title: 'Harbour report',
  lang: 'en',
  maxChars: 200,
  text: Array.from({ length: 30 }, (_, i) => `Paragraph ${i + 1} describes how harbour ${i * 3 + 1} moved ${i * 11 + 4} tonnes of grain last year.`).join(' '),
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function summarizer(settings: Partial<OpenAISettings>): OpenAISummarizer {
  const instance = new OpenAISummarizer({ model: 'gpt-4o-mini', apiKey: KEY, maxSockets: 4, requestTimeoutMs: 10_000, retry: TINY_RETRY, ...settings })
  cleanups.push(() => instance.close())
  return instance
}

async function emulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const started = await quietEmulator(options)
  cleanups.push(() => started.close())
  return started
}

async function scripted(replies: Reply[]): Promise<{ url: string; received: Received[] }> {
  const server = await scriptedServer(replies)
  cleanups.push(() => server.close())
  return server
}

function completion(text: string): Reply {
  return jsonReply(200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 50, completion_tokens: 10, total_tokens: 60 },
  })
}

async function failure(promise: Promise<unknown>): Promise<PageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PageError)
  return error as PageError
}

describe('OpenAISummarizer against the emulator', () => {
  it('summarizes through /v1/chat/completions with the usage of the reply', async () => {
    const { url } = await emulator()
    const result = await summarizer({ baseURL: `${url}/v1` }).summarize(REQUEST)
    expect(result.summary.length).toBeGreaterThan(0)
    expect(result.model).toBe('gpt-4o-mini')
    expect(result.attempts).toBe(1)
    expect(result.usage?.inputTokens).toBeGreaterThan(0)
    expect(result.usage?.outputTokens).toBeGreaterThan(0)
  })

  it('leaves no abort listener on the run\'s signal once a call is over, however many calls it makes', async () => {
    const { url } = await emulator()
    const instance = summarizer({ baseURL: `${url}/v1` })
    const run = new AbortController()
    for (let i = 0; i < 5; i++) await instance.summarize(REQUEST, run.signal)
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0)
  })

  it('summarizes through the Azure deployment path with the api-key header', async () => {
    const { url, stats } = await emulator({ apiKey: KEY })
    const result = await summarizer({ model: 'summaries', azure: { endpoint: url, deployment: 'summaries', apiVersion: '2024-10-21' } }).summarize(REQUEST)
    expect(result.summary.length).toBeGreaterThan(0)
    expect(result.model).toBe('summaries')
    expect(stats().ok).toBe(1)
  })

  it('stops at once on a wrong key with ACCESS_DENIED that feeds the breaker, and never prints the key', async () => {
    const { url } = await emulator({ apiKey: 'sk-the-right-key-0000000000' })
    const error = await failure(summarizer({ baseURL: `${url}/v1` }).summarize(REQUEST))
    expect(error.code).toBe(ERROR_CODES.ACCESS_DENIED)
    expect(error.attempts).toBe(1)
    expect(error.message).toContain('OPENAI_API_KEY')
    expect(error.message).not.toContain(KEY)
    expect(error.message).not.toContain(KEY.slice(-4))
  })

  it('masks the key even when a server quotes it whole', async () => {
    const server = await scripted([jsonReply(401, { error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } })])
    const error = await failure(summarizer({ baseURL: server.url }).summarize(REQUEST))
    expect(error.code).toBe(ERROR_CODES.ACCESS_DENIED)
    expect(error.message).not.toContain(KEY)
    expect(server.received[0]?.headers.authorization).toBe(`Bearer ${KEY}`)
  })

  it('answers an unknown model with MODEL_NOT_FOUND, naming --model', async () => {
    const { url } = await emulator()
    const error = await failure(summarizer({ baseURL: `${url}/v1`, model: 'gpt-nonexistent' }).summarize(REQUEST))
    expect(error.code).toBe(ERROR_CODES.MODEL_NOT_FOUND)
    expect(error.message).toContain('--model (gpt-nonexistent)')
    expect(classifyOpenAIError(error.cause).fatal).toBe('always')
  })

  it('sends one request per attempt: the SDK retries nothing itself', async () => {
    const server = await scripted([jsonReply(500, { error: { message: 'boom', type: 'server_error', code: null } })])
    const error = await failure(summarizer({ baseURL: server.url, retry: { ...TINY_RETRY, retries: 2 } }).summarize(REQUEST))
    expect(error.code).toBe(ERROR_CODES.MODEL_ERROR)
    expect(error.attempts).toBe(3)
    expect(server.received).toHaveLength(3)
  })

  it('waits the retry-after-ms a 429 asks for, then succeeds', async () => {
    const server = await scripted([jsonReply(429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after-ms': '300', 'retry-after': '1' }), completion('The harbour moved grain.')])
    const result = await summarizer({ baseURL: server.url }).summarize(REQUEST)
    expect(result).toMatchObject({ summary: 'The harbour moved grain.', attempts: 2, usage: { inputTokens: 50, outputTokens: 10 } })
    const [first, second] = server.received
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(280)
  })

  it('gives the rate controller the quota the emulator states in its headers', async () => {
    const { url } = await emulator({ rpm: 600, tpm: 900_000 })
    const gate = new RateController({ maxConcurrency: 4 })
    await summarizer({ baseURL: `${url}/v1` }).summarize(REQUEST, undefined, gate)
    expect(gate.stats().serverQuota).toEqual({ rpm: 600, tpm: 900_000 })
    gate.close()
  })

  it('keeps the user\'s --rpm over the server\'s figure', async () => {
    const { url } = await emulator({ rpm: 600 })
    const gate = new RateController({ maxConcurrency: 4, rpm: 100 })
    await summarizer({ baseURL: `${url}/v1` }).summarize(REQUEST, undefined, gate)
    expect(gate.stats().serverQuota).toBeNull()
    gate.close()
  })
})

describe('the OpenAI error classifier', () => {
  const apiError = (status: number, code: string | null, headers: Record<string, string> = {}) =>
    Object.assign(new Error(`${status} server says no`), { name: 'APIError', status, code, error: { message: 'server says no', code }, headers: new Headers(headers) })

  it('makes a page too long for the model that page\'s error, not the run\'s', () => {
    expect(classifyOpenAIError(apiError(400, 'context_length_exceeded'))).toMatchObject({ code: ERROR_CODES.MODEL_VALIDATION, retryable: false, fatal: false })
  })

  it('retries 429 and 5xx, honouring retry-after in seconds', () => {
    expect(classifyOpenAIError(apiError(429, 'rate_limit_exceeded', { 'retry-after': '2' }))).toMatchObject({ code: ERROR_CODES.THROTTLED, retryable: true, fatal: false, retryAfterMs: 2000 })
    expect(classifyOpenAIError(apiError(503, null))).toMatchObject({ code: ERROR_CODES.MODEL_ERROR, retryable: true, fatal: false })
  })

  it('stops the run when the account has no quota left, since waiting does not help', () => {
    expect(classifyOpenAIError(apiError(429, 'insufficient_quota'))).toMatchObject({ code: ERROR_CODES.ACCESS_DENIED, retryable: false, fatal: 'always' })
  })

  it('reads a refused connection as a wrong --base-url until a call has worked', () => {
    const refused = Object.assign(new Error('Connection error.'), { name: 'APIConnectionError', cause: Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }) })
    expect(classifyOpenAIError(refused)).toMatchObject({ code: ERROR_CODES.MODEL_ERROR, retryable: true, fatal: 'untilSuccess' })
  })
})
