import http from 'node:http'
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/emulator/server.js'
import type { RunningEmulator } from '../src/emulator/server.js'

let emulator: RunningEmulator
let client: BedrockRuntimeClient
beforeAll(async () => {
  emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0 })
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
  })
})
afterAll(async () => {
  client.destroy()
  await emulator.close()
})

const ANTHROPIC_BODY = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, messages: [{ role: 'user', content: 'A page. With text.' }] })

function invokeModel(modelId: string, body: string): Promise<unknown> {
  return client.send(new InvokeModelCommand({ modelId, body, contentType: 'application/json' }))
}

describe('emulator model catalogue', () => {
  it('answers a catalogue model sent another family’s body with a ValidationException naming the body it takes', async () => {
    await expect(invokeModel('meta.llama3-1-70b-instruct-v1:0', ANTHROPIC_BODY)).rejects.toMatchObject({
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(/required key \[prompt\] not found; meta\.llama3-1-70b-instruct-v1:0 takes the Meta Llama body \{prompt, max_gen_len\?/),
    })
    await expect(invokeModel('us.amazon.titan-text-premier-v1:0', JSON.stringify({ prompt: 'hi' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('takes the Amazon Titan Text body {inputText'),
    })
    await expect(invokeModel('anthropic.claude-3-5-sonnet-20241022-v2:0', JSON.stringify({ inputText: 'hi' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('takes the Anthropic Messages body {anthropic_version: "bedrock-2023-05-31"'),
    })
  })

  it('keeps a typo a typo: an unknown id, prefix or family gets Bedrock’s invalid-identifier message', async () => {
    for (const modelId of ['anthropic.claude-3-haiku-20240307-v1:1', 'xx.anthropic.claude-3-haiku-20240307-v1:0', 'us.us.amazon.nova-lite-v1:0', 'openai.gpt-4o', 'amazon.titan-text-express']) {
      await expect(client.send(new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'hi' }] }] })), modelId).rejects.toMatchObject({
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
        message: 'The provided model identifier is invalid.',
      })
      await expect(invokeModel(modelId, ANTHROPIC_BODY), modelId).rejects.toMatchObject({ message: 'The provided model identifier is invalid.' })
    }
  })

  it('accepts the ids the issue found refused: Claude 3 Sonnet, 3.5 Sonnet v2, a us. 3.7 Sonnet profile, a global. profile and Titan', async () => {
    for (const modelId of [
      'anthropic.claude-3-sonnet-20240229-v1:0',
      'anthropic.claude-3-5-sonnet-20241022-v2:0',
      'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'amazon.titan-text-express-v1',
      'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0',
    ]) {
      const reply = await client.send(new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'A short page. It has two sentences.' }] }] }))
      expect(reply.output?.message?.content?.[0]?.text, modelId).toContain('short page')
    }
  })

  it('answers each family’s native body in that family’s reply shape, cut at its own token limit', async () => {
    const page = `at most 400 characters <page>${'The harbour opened in spring and ships came from the north. '.repeat(20)}</page>`
    const llama = JSON.parse(new TextDecoder().decode(((await invokeModel('meta.llama3-8b-instruct-v1:0', JSON.stringify({ prompt: page, max_gen_len: 5 }))) as { body: Uint8Array }).body))
    expect(llama).toMatchObject({ stop_reason: 'length', generation_token_count: expect.any(Number), prompt_token_count: expect.any(Number) })
    expect(llama.generation_token_count).toBeLessThanOrEqual(5)
    const titan = JSON.parse(new TextDecoder().decode(((await invokeModel('amazon.titan-text-lite-v1', JSON.stringify({ inputText: page }))) as { body: Uint8Array }).body))
    expect(titan).toMatchObject({ inputTextTokenCount: expect.any(Number), results: [{ completionReason: 'FINISH', outputText: expect.stringContaining('harbour') }] })
    const cohere = JSON.parse(new TextDecoder().decode(((await invokeModel('cohere.command-r-plus-v1:0', JSON.stringify({ message: page, max_tokens: 3 }))) as { body: Uint8Array }).body))
    expect(cohere).toMatchObject({ finish_reason: 'MAX_TOKENS', text: expect.any(String) })
  })
})
