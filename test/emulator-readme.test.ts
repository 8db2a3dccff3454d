import http from 'node:http'
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FOUNDATION_MODELS } from '../src/emulator/catalogue.js'
import { startEmulator } from '../src/emulator/server.js'
import type { RunningEmulator } from '../src/emulator/server.js'
import { readDocs } from '../scripts/doc-files.js'

const docs = readDocs()

/**
 * The rows of the docs' table whose header row starts with `firstHeader`, as cells: whichever
 * doc file holds it (README.md, CONTRIBUTING.md, docs/*.md), and only one may.
 */
function table(firstHeader: string): string[][] {
  const found = [...docs].flatMap(([path, text]) => {
    const lines = text.split('\n')
    return lines.flatMap((line, at) => (line.startsWith(`| ${firstHeader} |`) ? [{ path, lines, at }] : []))
  })
  expect(found.map(({ path }) => path), `one doc table headed "${firstHeader}"`).toHaveLength(1)
  const { lines, at } = found[0]!
  const rows: string[][] = []
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()))
  }
  return rows
}

const PAGE = 'Summarize in at most 120 characters. <page>The harbour opened in spring. Ships came from the north. The storm closed it in autumn.</page>'

/** A valid native body for each body name the README's model table gives. */
const NATIVE_BODY: Record<string, object> = {
  'Anthropic Messages': { anthropic_version: 'bedrock-2023-05-31', max_tokens: 200, messages: [{ role: 'user', content: PAGE }] },
  'Amazon Nova messages-v1': { schemaVersion: 'messages-v1', messages: [{ role: 'user', content: [{ text: PAGE }] }], inferenceConfig: { maxTokens: 200 } },
  'Amazon Titan Text': { inputText: PAGE, textGenerationConfig: { maxTokenCount: 200 } },
  'Meta Llama': { prompt: PAGE, max_gen_len: 200 },
  'Mistral text completion': { prompt: `<s>[INST] ${PAGE} [/INST]`, max_tokens: 200 },
  'Cohere Command R chat': { message: PAGE, max_tokens: 200 },
}

/** Where each family's reply puts the text. */
const REPLY_TEXT: Record<string, (reply: Record<string, unknown>) => unknown> = {
  'Anthropic Messages': (r) => (r['content'] as { text: string }[])[0]?.text,
  'Amazon Nova messages-v1': (r) => (r['output'] as { message: { content: { text: string }[] } }).message.content[0]?.text,
  'Amazon Titan Text': (r) => (r['results'] as { outputText: string }[])[0]?.outputText,
  'Meta Llama': (r) => r['generation'],
  'Mistral text completion': (r) => (r['outputs'] as { text: string }[])[0]?.text,
  'Cohere Command R chat': (r) => r['text'],
}

/** Resolves to what the user would read: the reply's text, or for CountTokens the counts. */
type Call = (client: BedrockRuntimeClient, modelId: string, bodyName: string) => Promise<string>

const decode = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes)

/** Each operation the README lists, called as a user would, returning the text it got back. */
const OPERATIONS: Record<string, Call> = {
  Converse: async (client, modelId) => {
    const reply = await client.send(new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: PAGE }] }] }))
    return reply.output?.message?.content?.[0]?.text ?? ''
  },
  ConverseStream: async (client, modelId) => {
    const reply = await client.send(new ConverseStreamCommand({ modelId, messages: [{ role: 'user', content: [{ text: PAGE }] }] }))
    let text = ''
    for await (const event of reply.stream ?? []) text += event.contentBlockDelta?.delta?.text ?? ''
    return text
  },
  InvokeModel: async (client, modelId, bodyName) => {
    const reply = await client.send(new InvokeModelCommand({ modelId, body: JSON.stringify(NATIVE_BODY[bodyName]), contentType: 'application/json' }))
    return String(REPLY_TEXT[bodyName]?.(JSON.parse(decode(reply.body)) as Record<string, unknown>))
  },
  InvokeModelWithResponseStream: async (client, modelId, bodyName) => {
    const reply = await client.send(new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(NATIVE_BODY[bodyName]), contentType: 'application/json' }))
    const chunks: Record<string, unknown>[] = []
    for await (const event of reply.body ?? []) chunks.push(JSON.parse(decode(event.chunk?.bytes)) as Record<string, unknown>)
    const metrics = chunks.at(-1)?.['amazon-bedrock-invocationMetrics'] as { outputTokenCount: number } | undefined
    expect(metrics?.outputTokenCount).toBeGreaterThan(0)
    return JSON.stringify(chunks)
  },
  CountTokens: async (client, modelId, bodyName) => {
    const viaInvoke = await client.send(new CountTokensCommand({ modelId, input: { invokeModel: { body: new TextEncoder().encode(JSON.stringify(NATIVE_BODY[bodyName])) } } }))
    const viaConverse = await client.send(new CountTokensCommand({ modelId, input: { converse: { messages: [{ role: 'user', content: [{ text: PAGE }] }] } } }))
    return `${viaInvoke.inputTokens} and ${viaConverse.inputTokens} tokens`
  },
}

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

describe("the docs' emulator tables", () => {
  const operations = table('operation')
  const models = table('model ids').map(([ids = '', body = '']) => ({ ids: [...ids.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), bodyName: body.split(':')[0]! }))

  it('list exactly the operations and foundation models the emulator serves', () => {
    expect(operations.map(([name]) => name).sort()).toEqual(Object.keys(OPERATIONS).sort())
    expect(models.flatMap((row) => row.ids).sort()).toEqual(Object.values(FOUNDATION_MODELS).flat().sort())
    expect(models.map((row) => row.bodyName).sort()).toEqual(Object.keys(NATIVE_BODY).sort())
  })

  it('name the routes the SDK calls', () => {
    for (const [name, route] of operations) expect(route, name).toMatch(/^`POST \/model\/\{modelId\}\/[a-z-]+`$/)
  })

  for (const { ids, bodyName } of models) {
    it(`every listed operation answers the ${bodyName} models, also through an inference profile and an ARN`, async () => {
      const [first = ''] = ids
      const variants = [...ids, `us.${first}`, `global.${first}`, `arn:aws:bedrock:us-east-1::foundation-model/${first}`]
      for (const modelId of variants) {
        for (const [operation] of operations) {
          const text = await OPERATIONS[operation!]!(client, modelId, bodyName).catch((error: Error) => `${error.name}: ${error.message}`)
          // The page is about 30 tokens: a count near it, or a summary of it.
          if (operation === 'CountTokens') expect(text, `${operation} on ${modelId}`).toMatch(/^[1-9]\d and [1-9]\d tokens$/)
          else expect(text, `${operation} on ${modelId}`).toContain('The harbour')
        }
      }
    }, 60_000)
  }
})
