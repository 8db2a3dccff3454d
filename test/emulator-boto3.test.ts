import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator } from '../src/emulator/server.js'
import type { EmulatorOptions, RunningEmulator } from '../src/emulator/server.js'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./fixtures/emulator/boto3_stream.py', import.meta.url))
const LONG_TEXT = Array.from({ length: 30 }, (_, i) => `Paragraph ${i + 1} tells how lighthouse ${i * 3 + 2} guided ${i * 11 + 4} boats home.`).join(' ')
const PROMPT = `Summarize in at most 250 characters.\n<page>\n${LONG_TEXT}\n</page>`

interface Boto3Result {
  text: string
  events: string[]
  stopReason?: string
  usage?: { inputTokens: number; outputTokens: number; totalTokens: number }
  metrics?: Record<string, number>
  error?: string
  status?: number
  exceptionClass?: string
  streamError?: string
}

const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

async function boto3(options: EmulatorOptions, operation: 'converse' | 'invoke', modelId = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0'): Promise<Boto3Result> {
  const emulator = await startEmulator({ seed: 1, latencyMs: 50, jitterMs: 0, overshootRate: 0, ...options })
  running.push(emulator)
  // A clean environment: no real credentials or endpoint of the user's may leak in.
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }
  const { stdout } = await run('python3', [script, emulator.url, operation, modelId, PROMPT], { env, timeout: 60_000 })
  return JSON.parse(stdout) as Boto3Result
}

describe('emulator streaming with boto3', () => {
  it('converse_stream reads a whole streamed summary with its stop reason and usage', async () => {
    const result = await boto3({}, 'converse')
    expect(result.error).toBeUndefined()
    expect(result.events[0]).toBe('messageStart')
    expect(result.events.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata'])
    expect(result.text.length).toBeGreaterThan(80)
    expect(LONG_TEXT).toContain(result.text.split('. ')[0])
    expect(result.stopReason).toBe('end_turn')
    expect(result.usage?.outputTokens).toBeGreaterThan(0)
    expect(result.usage?.totalTokens).toBe((result.usage?.inputTokens ?? 0) + (result.usage?.outputTokens ?? 0))
  }, 60_000)

  it('invoke_model_with_response_stream reads the Anthropic events and the invocation metrics', async () => {
    const result = await boto3({}, 'invoke', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0')
    expect(result.error).toBeUndefined()
    expect(result.events[0]).toBe('message_start')
    expect(result.events.at(-1)).toBe('message_stop')
    expect(LONG_TEXT).toContain(result.text.split('. ')[0])
    expect(result.metrics?.['outputTokenCount']).toBeGreaterThan(0)
    expect(result.metrics?.['inputTokenCount']).toBeGreaterThan(0)
  }, 60_000)

  it('a throttled stream raises ThrottlingException in boto3', async () => {
    for (const operation of ['converse', 'invoke'] as const) {
      const result = await boto3({ throttleRate: 1 }, operation)
      expect(result).toMatchObject({ error: 'ThrottlingException', status: 429, exceptionClass: 'ThrottlingException' })
    }
  }, 60_000)

  it('a mid-stream failure raises boto3 EventStreamError with the exception event code', async () => {
    const result = await boto3({ errorRate: 1, random: () => 0.9 }, 'converse')
    expect(result.events.length).toBeGreaterThan(1)
    expect(result.streamError).toBe('internalServerException')
  }, 60_000)
})
