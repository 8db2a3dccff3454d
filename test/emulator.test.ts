import http from 'node:http'
import { PassThrough } from 'node:stream'
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { describe, expect, it } from 'vitest'
import { runEmulatorCommand } from '../src/emulator/command.js'
import { EMULATOR_MODELS, startEmulator } from '../src/emulator/server.js'
import { HAIKU } from './helpers/bedrock.js'
import { LONG_TEXT, useEmulators } from './helpers/emulator.js'

const { emulator, sdkClient } = useEmulators()

function converse(modelId: string, text: string, maxTokens?: number): ConverseCommand {
  return new ConverseCommand({
    modelId,
    system: [{ text: 'Summarize.' }],
    messages: [{ role: 'user', content: [{ text }] }],
    ...(maxTokens === undefined ? {} : { inferenceConfig: { maxTokens } }),
  })
}

async function rejection(promise: Promise<unknown>): Promise<{ name: string; $metadata: { httpStatusCode?: number } }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(Error)
  return error as { name: string; $metadata: { httpStatusCode?: number } }
}

describe('Bedrock emulator', () => {
  it('answers a Converse call from the real SDK with a summary and token usage', async () => {
    const { url } = await emulator()
    const reply = await sdkClient(url).send(converse(HAIKU, `Summarize in at most 200 characters.\n<page>\n${LONG_TEXT}\n</page>`))
    const text = reply.output?.message?.content?.[0]?.text ?? ''
    expect(text.length).toBeGreaterThan(50)
    expect(text.length).toBeLessThanOrEqual(200)
    expect(LONG_TEXT).toContain(text.split('. ')[0])
    expect(reply.stopReason).toBe('end_turn')
    expect(reply.usage?.inputTokens).toBeGreaterThan(LONG_TEXT.length / 8)
    expect(reply.usage?.outputTokens).toBeGreaterThan(0)
    expect(reply.usage?.totalTokens).toBe((reply.usage?.inputTokens ?? 0) + (reply.usage?.outputTokens ?? 0))
  })

  it('answers InvokeModel with an Anthropic Messages body in the Anthropic response shape', async () => {
    const { url } = await emulator()
    const body = JSON.stringify({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 300,
      system: 'Summarize.',
      messages: [{ role: 'user', content: [{ type: 'text', text: `at most 150 characters <page>${LONG_TEXT}</page>` }] }],
    })
    const reply = await sdkClient(url).send(new InvokeModelCommand({ modelId: HAIKU, body, contentType: 'application/json', accept: 'application/json' }))
    const parsed = JSON.parse(new TextDecoder().decode(reply.body)) as Record<string, unknown>
    expect(parsed).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn', stop_sequence: null })
    const content = parsed['content'] as { type: string; text: string }[]
    expect(content[0]?.type).toBe('text')
    expect(content[0]?.text.length).toBeGreaterThan(0)
    expect(content[0]?.text.length).toBeLessThanOrEqual(150)
    expect(parsed['usage']).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) })
  })

  it('accepts a URL-encoded cross-region model id containing a colon', async () => {
    const { url } = await emulator()
    expect(EMULATOR_MODELS).toContain('us.anthropic.claude-3-5-haiku-20241022-v1:0')
    const reply = await sdkClient(url).send(converse('us.anthropic.claude-3-5-haiku-20241022-v1:0', 'A short page. It has two sentences.'))
    expect(reply.output?.message?.content?.[0]?.text).toContain('short page')
  })

  it('rejects an unknown model id with ValidationException', async () => {
    const { url } = await emulator()
    const error = await rejection(sdkClient(url).send(converse('anthropic.claude-99', 'text')))
    expect(error.name).toBe('ValidationException')
    expect(error.$metadata.httpStatusCode).toBe(400)
  })

  it('rejects a model without access with AccessDeniedException', async () => {
    const { url, stats } = await emulator({ deniedModels: ['amazon.nova-lite-v1:0'] })
    const error = await rejection(sdkClient(url).send(converse('amazon.nova-lite-v1:0', 'text')))
    expect(error.name).toBe('AccessDeniedException')
    expect(error.$metadata.httpStatusCode).toBe(403)
    expect(stats().denied).toBe(1)
  })

  it('throttles every call at throttleRate 1 with a 429 ThrottlingException', async () => {
    const { url, stats } = await emulator({ throttleRate: 1, latencyMs: 5000 })
    const started = performance.now()
    const error = await rejection(sdkClient(url).send(converse(HAIKU, 'text')))
    expect(error.name).toBe('ThrottlingException')
    expect(error.$metadata.httpStatusCode).toBe(429)
    // Throttling is decided before any model latency, as on Bedrock.
    expect(performance.now() - started).toBeLessThan(2000)
    expect(stats()).toMatchObject({ requests: 1, throttled: 1, ok: 0 })
  })

  it('fails every call at errorRate 1 with 503 and 500 exception classes', async () => {
    let flip = false
    const alternating = (): number => ((flip = !flip) ? 0.25 : 0.75)
    const { url, stats } = await emulator({ errorRate: 1, random: alternating })
    const client = sdkClient(url)
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const error = await rejection(client.send(converse(HAIKU, 'text')))
      expect(error.$metadata.httpStatusCode).toBeGreaterThanOrEqual(500)
      seen.add(`${error.name} ${error.$metadata.httpStatusCode}`)
    }
    expect([...seen].sort()).toEqual(['InternalServerException 500', 'ServiceUnavailableException 503'])
    expect(stats().errors).toBe(6)
  })

  it('answers a malformed body with a Bedrock-style 400 ValidationException', async () => {
    const { url } = await emulator()
    const response = await fetch(`${url}/model/${encodeURIComponent(HAIKU)}/converse`, {
      method: 'POST',
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/bedrock/aws4_request', 'content-type': 'application/json' },
      body: '{"messages": [',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/')
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({ message: expect.stringContaining('Malformed input request') })
  })

  it('refuses an unsigned request with AccessDeniedException', async () => {
    const { url } = await emulator()
    const response = await fetch(`${url}/model/${encodeURIComponent(HAIKU)}/converse`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^AccessDeniedException:/)
  })

  it('answers an unknown route with 404', async () => {
    const { url } = await emulator()
    const response = await fetch(`${url}/foundation-models`)
    expect(response.status).toBe(404)
    await response.arrayBuffer()
  })

  it('waits the configured latency before answering', async () => {
    const { url } = await emulator({ latencyMs: 200, jitterMs: 0 })
    const client = sdkClient(url)
    await client.send(converse(HAIKU, 'warm up the connection.')).catch(() => undefined)
    const started = performance.now()
    await client.send(converse(HAIKU, 'A page. With text.'))
    expect(performance.now() - started).toBeGreaterThanOrEqual(180)
  })

  it('runs past the requested length at overshootRate 1 on a long page', async () => {
    const { url } = await emulator({ overshootRate: 1 })
    const reply = await sdkClient(url).send(converse(HAIKU, `Write at most 200 characters.\n<page>${LONG_TEXT}</page>`))
    expect(reply.output?.message?.content?.[0]?.text?.length).toBeGreaterThan(200)
  })

  it('cuts the reply at maxTokens and says so in stopReason', async () => {
    const { url } = await emulator()
    const reply = await sdkClient(url).send(converse(HAIKU, `at most 400 characters <page>${LONG_TEXT}</page>`, 10))
    expect(reply.stopReason).toBe('max_tokens')
    expect(reply.usage?.outputTokens).toBeLessThanOrEqual(10)
    expect(reply.output?.message?.content?.[0]?.text?.length).toBeLessThanOrEqual(40)
  })

  it('stops waiting for a client that hung up and counts requests in flight', async () => {
    const { url, stats } = await emulator({ latencyMs: 10_000 })
    const controller = new AbortController()
    const calls = [1, 2, 3].map(() => sdkClient(url).send(converse(HAIKU, 'text'), { abortSignal: controller.signal }).catch(() => 'aborted'))
    await expect.poll(() => stats().inFlight).toBe(3)
    controller.abort()
    expect(await Promise.all(calls)).toEqual(['aborted', 'aborted', 'aborted'])
    await expect.poll(() => stats().inFlight).toBe(0)
    expect(stats()).toMatchObject({ requests: 3, maxInFlight: 3, ok: 0 })
  })
})

describe('emulator command', () => {
  it('prints the url as its first line and exits 0 when aborted', async () => {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const controller = new AbortController()
    let out = ''
    let err = ''
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    const exit = runEmulatorCommand({ latencyMs: 0, jitterMs: 0 }, { stdout, stderr }, controller.signal)
    await expect.poll(() => out).toContain('\n')
    const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))\n$/.exec(out)
    expect(match).not.toBeNull()
    const response = await fetch(`${match?.[1]}/nothing-here`)
    expect(response.status).toBe(404)
    await response.arrayBuffer()
    controller.abort()
    expect(await exit).toBe(0)
    await expect(fetch(`${match?.[1]}/nothing-here`)).rejects.toThrow()
    expect(err).toBe(
      'emulator: 1 requests: 0 ok, 0 throttled, 0 server errors, 0 reset, 0 stalled, 1 invalid, 0 denied; 0 tokens; at most 1 in flight\n',
    )
  })
})

describe('emulator validation of empty content', () => {
  it('answers a blank text block with ValidationException, as Bedrock does', async () => {
    const emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0 })
    try {
      const client = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: emulator.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
        requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: false }) }),
      })
      const send = client.send(new ConverseCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{ role: 'user', content: [{ text: '  ' }] }] }))
      await expect(send).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } })
      client.destroy()
    } finally {
      await emulator.close()
    }
  })
})
