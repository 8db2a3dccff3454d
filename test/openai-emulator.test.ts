import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/emulator/server.js'

const KEY = 'sk-emulator-test-key-0123456789'
const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

async function emulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const started = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0, ...options })
  running.push(started)
  return started
}

const BODY = { model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'system', content: 'Summarize.' }, { role: 'user', content: 'Summarize in at most 80 characters. <page>The harbour opened in spring. Ships came from the north.</page>' }] }

function chat(url: string, body: unknown = BODY, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

describe('the emulator speaking OpenAI', () => {
  it('answers a chat completion with usage and states its quota in x-ratelimit headers', async () => {
    const { url } = await emulator({ rpm: 120, tpm: 60_000 })
    const res = await chat(url)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { object: string; choices: { message: { content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } }
    expect(body.object).toBe('chat.completion')
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0)
    expect(body.choices[0]?.finish_reason).toBe('stop')
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens)
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('120')
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('60000')
    expect(Number(res.headers.get('x-ratelimit-remaining-requests'))).toBeLessThanOrEqual(2)
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?m?s$/)
  })

  it('answers over its --rpm with 429 rate_limit_exceeded and how long to wait', async () => {
    const { url } = await emulator({ rpm: 60 })
    expect((await chat(url)).status).toBe(200)
    const res = await chat(url)
    expect(res.status).toBe(429)
    expect(((await res.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' })
    const waitMs = Number(res.headers.get('retry-after-ms'))
    expect(waitMs).toBeGreaterThan(800)
    expect(waitMs).toBeLessThanOrEqual(1000)
    expect(res.headers.get('retry-after')).toBe('1')
  })

  it('refuses a wrong key with 401 invalid_api_key, quoting it masked as OpenAI does', async () => {
    const { url, stats } = await emulator({ apiKey: KEY })
    const res = await chat(url, BODY, { authorization: 'Bearer sk-wrong-key-abcdefghijkl' })
    expect(res.status).toBe(401)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('invalid_api_key')
    expect(error.message).not.toContain('sk-wrong-key-abcdefghijkl')
    expect(stats().denied).toBe(1)
  })

  it('answers an unknown model with 404 model_not_found, and lists its models', async () => {
    const { url } = await emulator({ deniedModels: ['gpt-4o'] })
    const res = await chat(url, { ...BODY, model: 'gpt-4o' })
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found')
    const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { object: string; data: { id: string }[] }
    expect(models.object).toBe('list')
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini')
    expect(models.data.map((m) => m.id)).not.toContain('gpt-4o')
  })

  it('serves the Azure path with the api-key header, and wants an api-version', async () => {
    const { url } = await emulator({ apiKey: KEY })
    const azure = (query: string) => fetch(`${url}/openai/deployments/my-summaries/chat/completions${query}`, { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': KEY }, body: JSON.stringify({ messages: BODY.messages }) })
    const ok = await azure('?api-version=2024-10-21')
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { model: string }).model).toBe('my-summaries')
    expect((await azure('')).status).toBe(404)
  })

  it('answers a prompt past the context window with 400 context_length_exceeded', async () => {
    const { url } = await emulator()
    const long = 'word '.repeat(140_000)
    const res = await chat(url, { ...BODY, messages: [{ role: 'user', content: long }] })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('context_length_exceeded')
  })

  it('leaves the Bedrock routes as they were: an unknown path still gets Bedrock\'s error', async () => {
    const { url } = await emulator()
    const res = await fetch(`${url}/nothing-here`, { method: 'POST' })
    expect(res.status).toBe(404)
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^UnknownOperationException/)
  })
})
