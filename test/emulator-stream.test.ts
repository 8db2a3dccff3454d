import { ConverseStreamCommand, InvokeModelWithResponseStreamCommand } from '@aws-sdk/client-bedrock-runtime'
import { describe, expect, it } from 'vitest'
import { HAIKU } from './helpers/bedrock.js'
import { LONG_TEXT, useEmulators } from './helpers/emulator.js'

const PROMPT = `Summarize in at most 300 characters.\n<page>\n${LONG_TEXT}\n</page>`

const { emulator, sdkClient } = useEmulators()

function converseStream(modelId = HAIKU): ConverseStreamCommand {
  return new ConverseStreamCommand({ modelId, system: [{ text: 'Summarize.' }], messages: [{ role: 'user', content: [{ text: PROMPT }] }] })
}

function anthropicStream(modelId = HAIKU): InvokeModelWithResponseStreamCommand {
  const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 400, messages: [{ role: 'user', content: PROMPT }] })
  return new InvokeModelWithResponseStreamCommand({ modelId, body, contentType: 'application/json', accept: 'application/json' })
}

describe('emulator streaming with the AWS SDK for JavaScript', () => {
  it('ConverseStream delivers a whole summary in many deltas, then the stop reason and usage', async () => {
    const { url, stats } = await emulator()
    const reply = await sdkClient(url).send(converseStream())
    const kinds: string[] = []
    let text = ''
    let usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number } | undefined
    for await (const event of reply.stream ?? []) {
      kinds.push(Object.keys(event).find((k) => k !== '$unknown') ?? '')
      text += event.contentBlockDelta?.delta?.text ?? ''
      if (event.messageStop !== undefined) expect(event.messageStop.stopReason).toBe('end_turn')
      if (event.metadata !== undefined) {
        usage = event.metadata.usage
        expect(event.metadata.metrics?.latencyMs).toBeGreaterThanOrEqual(0)
      }
    }
    expect(kinds[0]).toBe('messageStart')
    expect(kinds.filter((k) => k === 'contentBlockDelta').length).toBeGreaterThan(5)
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata'])
    expect(text.length).toBeGreaterThan(100)
    expect(text.length).toBeLessThanOrEqual(300)
    expect(LONG_TEXT).toContain(text.split('. ')[0])
    expect(usage?.inputTokens).toBeGreaterThan(LONG_TEXT.length / 8)
    expect(usage?.outputTokens).toBeGreaterThan(0)
    expect(usage?.totalTokens).toBe((usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0))
    expect(stats()).toMatchObject({ requests: 1, ok: 1, tokens: usage?.totalTokens })
  })

  it('InvokeModelWithResponseStream carries the Anthropic stream events, the last with Bedrock invocation metrics', async () => {
    const { url } = await emulator()
    const reply = await sdkClient(url).send(anthropicStream())
    const events: Record<string, unknown>[] = []
    for await (const event of reply.body ?? []) {
      if (event.chunk?.bytes !== undefined) events.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)) as Record<string, unknown>)
    }
    const types = events.map((e) => e['type'])
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start'])
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop'])
    const text = events.map((e) => (e['delta'] as { text?: string } | undefined)?.text ?? '').join('')
    expect(text.length).toBeGreaterThan(100)
    expect(LONG_TEXT).toContain(text.split('. ')[0])
    const metrics = events.at(-1)?.['amazon-bedrock-invocationMetrics'] as Record<string, number>
    expect(metrics).toMatchObject({ inputTokenCount: expect.any(Number), outputTokenCount: expect.any(Number), invocationLatency: expect.any(Number), firstByteLatency: expect.any(Number) })
    expect((events.at(-2)?.['usage'] as { output_tokens: number }).output_tokens).toBe(metrics['outputTokenCount'])
  })

  it('spreads the deltas over the configured latency instead of sending them at once', async () => {
    const { url } = await emulator({ latencyMs: 600 })
    const started = performance.now()
    const reply = await sdkClient(url).send(converseStream())
    const arrivals: number[] = []
    for await (const event of reply.stream ?? []) if (event.contentBlockDelta !== undefined) arrivals.push(performance.now() - started)
    expect(arrivals.length).toBeGreaterThan(5)
    // The first delta comes well before the call's latency is over, the last near its end.
    expect(arrivals[0]).toBeLessThan(450)
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThan(250)
    expect(arrivals.at(-1)).toBeGreaterThanOrEqual(500)
  })

  it('a throttled stream is a 429 ThrottlingException before any event', async () => {
    const { url, stats } = await emulator({ throttleRate: 1 })
    const client = sdkClient(url)
    await expect(client.send(converseStream())).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } })
    await expect(client.send(anthropicStream())).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } })
    expect(stats()).toMatchObject({ throttled: 2, ok: 0 })
  })

  it('a failure rolled mid-stream arrives as an exception event after part of the reply, and counts as an error', async () => {
    let flip = false
    // errorRate 1; the second roll picks internal (0.75) or unavailable (0.25) in turn.
    const alternating = (): number => ((flip = !flip) ? 0.25 : 0.75)
    const { url, stats } = await emulator({ errorRate: 1, random: alternating, latencyMs: 100 })
    const client = sdkClient(url)
    const seen: string[] = []
    for (const command of [converseStream(), anthropicStream()]) {
      const reply = await client.send(command as ConverseStreamCommand)
      const stream = (reply as { stream?: AsyncIterable<object>; body?: AsyncIterable<object> }).stream ?? (reply as { body?: AsyncIterable<object> }).body ?? []
      let events = 0
      const error = await (async () => {
        for await (const event of stream) if (Object.keys(event).length > 0) events++
      })().then(
        () => undefined,
        (e: unknown) => e as { name: string },
      )
      expect(events).toBeGreaterThan(1)
      seen.push(error?.name ?? 'no error')
    }
    expect(seen.sort()).toEqual(['InternalServerException', 'ModelStreamErrorException'])
    expect(stats()).toMatchObject({ requests: 2, errors: 2, ok: 0, tokens: 0 })
  })

  it('a client that leaves mid-stream frees its concurrency slot', async () => {
    const { url, stats } = await emulator({ latencyMs: 2000, maxConcurrency: 1 })
    const client = sdkClient(url)
    const controller = new AbortController()
    const reply = await client.send(converseStream(), { abortSignal: controller.signal })
    const iterator = reply.stream![Symbol.asyncIterator]()
    await iterator.next()
    controller.abort()
    await iterator.next().catch(() => undefined)
    await expect.poll(() => stats().inFlight).toBe(0)
    const again = await sdkClient(url).send(converseStream('us.anthropic.claude-3-7-sonnet-20250219-v1:0'))
    expect(again.stream).toBeDefined()
  })
})
