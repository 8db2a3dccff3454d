import { setMaxListeners } from 'node:events'
import http from 'node:http'
import https from 'node:https'
import { BedrockRuntimeClient, ConverseCommand, InvokeModelCommand, type ConverseCommandInput } from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { callWithPolicy } from '../control/call.js'
import { RateController } from '../control/rate.js'
import { DEFAULT_RETRY_POLICY } from '../control/retry.js'
import { ERROR_CODES, toErrorData, UsageError, type ErrorCode } from '../errors.js'
import { classifyBedrockError } from '../summarizers/bedrock-errors.js'
import { credentialsProblem } from '../summarizers/resolve.js'
import type { ModelInvocationType } from './model-input.js'

/** A record of a Bedrock batch input file. */
export interface InputRecord {
  recordId: string
  modelInput: unknown
}

/** A line of a `.jsonl.out` file, as Bedrock writes it. */
export type OutputRecord =
  | { recordId: string; modelInput: unknown; modelOutput: Record<string, unknown>; error?: undefined }
  | { recordId: string; modelInput: unknown; error: { errorCode: number; errorMessage: string }; modelOutput?: undefined }

export interface OnlineSettings {
  modelId: string
  modelInvocationType: ModelInvocationType
  region: string | undefined
  profile: string | undefined
  endpointUrl: string | undefined
  concurrency: number
  rpm: number | undefined
  tpm: number | undefined
  retries: number
  modelTimeoutMs: number
}

/** The HTTP status Bedrock would have put in a per-record error for each of our codes. */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  [ERROR_CODES.THROTTLED]: 429,
  [ERROR_CODES.MODEL_VALIDATION]: 400,
  [ERROR_CODES.ACCESS_DENIED]: 403,
  [ERROR_CODES.MODEL_NOT_FOUND]: 404,
}

/**
 * Runs batch records through the online API (Converse or InvokeModel, as the job would),
 * under the run's policies: one RateController (`--rpm`, `--tpm`, the adaptive in-flight
 * limit, the breaker), our retry policy, `concurrency` records in flight. Each result is a
 * Bedrock output line, handed to `onResult` as it finishes.
 */
export async function runOnline(records: AsyncIterable<InputRecord>, settings: OnlineSettings, onResult: (record: OutputRecord) => Promise<void>, signal?: AbortSignal, action = 'run-local'): Promise<void> {
  const agents = [new http.Agent({ keepAlive: true, maxSockets: settings.concurrency }), new https.Agent({ keepAlive: true, maxSockets: settings.concurrency })] as const
  const client = new BedrockRuntimeClient({
    ...(settings.region === undefined ? {} : { region: settings.region }),
    ...(settings.profile === undefined ? {} : { profile: settings.profile }),
    ...(settings.endpointUrl === undefined ? {} : { endpoint: settings.endpointUrl }),
    // Our retry policy is the only one, as on the online path.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: agents[0], httpsAgent: agents[1], requestTimeout: settings.modelTimeoutMs, throwOnRequestTimeout: true }),
  })
  // Credentials are resolved once before the first record: missing ones are one line and exit
  // 2 (docs/batch.md), not an error record on every line.
  const problem = await credentialsProblem(client, settings.profile)
  if (problem !== undefined) {
    client.destroy()
    for (const agent of agents) agent.destroy()
    throw new UsageError(`batch ${action}: ${problem}; set them as for the AWS CLI, or pass --profile (the emulator takes any keys: docs/emulator.md)`)
  }
  const gate = new RateController({ maxConcurrency: settings.concurrency, rpm: settings.rpm, tpm: settings.tpm })
  // Every record in flight listens to the signal (the call, a retry's wait): a few listeners
  // each, by design, not a leak.
  if (signal !== undefined) setMaxListeners(settings.concurrency * 4 + 16, signal)
  const retry = { ...DEFAULT_RETRY_POLICY, retries: settings.retries }
  const one = async ({ recordId, modelInput }: InputRecord): Promise<OutputRecord> => {
    try {
      const { value } = await callWithPolicy(
        async (abortSignal) => {
          if (settings.modelInvocationType === 'Converse') {
            const reply = await client.send(new ConverseCommand({ ...(modelInput as Omit<ConverseCommandInput, 'modelId'>), modelId: settings.modelId }), { abortSignal })
            const { $metadata: _metadata, ...output } = reply
            const usage = reply.usage
            return { ok: true, value: output as Record<string, unknown>, tokens: usage === undefined ? undefined : (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) }
          }
          const reply = await client.send(new InvokeModelCommand({ modelId: settings.modelId, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(modelInput) }), { abortSignal })
          return { ok: true, value: JSON.parse(new TextDecoder().decode(reply.body)) as Record<string, unknown> }
        },
        (error) => classifyBedrockError(error, { modelId: settings.modelId, region: settings.region, profile: settings.profile }),
        { retry, gate, signal },
      )
      return { recordId, modelInput, modelOutput: value }
    } catch (error) {
      const data = toErrorData(error)
      return { recordId, modelInput, error: { errorCode: STATUS_OF[data.code] ?? 500, errorMessage: data.message } }
    }
  }
  try {
    const iterator = records[Symbol.asyncIterator]()
    const loop = async (): Promise<void> => {
      for (;;) {
        const step = await iterator.next()
        if (step.done === true) return
        await onResult(await one(step.value))
      }
    }
    await Promise.all(Array.from({ length: settings.concurrency }, loop))
  } finally {
    gate.close()
    client.destroy()
    for (const agent of agents) agent.destroy()
  }
}
