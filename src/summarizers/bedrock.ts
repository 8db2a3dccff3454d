import http from 'node:http'
import https from 'node:https'
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime'
import type { ConverseResponse } from '@aws-sdk/client-bedrock-runtime'
import { defaultProvider } from '@aws-sdk/credential-provider-node'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { callWithPolicy, type CallReply } from '../control/call.js'
import type { CallGate } from '../control/gate.js'
import type { ErrorVerdict } from '../control/verdict.js'
import { ERROR_CODES } from '../errors.js'
import { estimateTokens } from '../tokens.js'
import { CONNECTION_TIMEOUT_MS, type ModelClientSettings } from './client-settings.js'
import { classifyBedrockError } from './bedrock-errors.js'
import { renderCall, type RenderedCall } from './model-request.js'
import type { Summarizer, SummaryRequest, SummaryResult } from './summarizer.js'

/** Everything a worker needs to build its own Bedrock client. Plain data: it crosses thread boundaries. */
export interface BedrockSettings extends ModelClientSettings {
  /** Model id or inference profile id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  modelId: string
  region: string
  /** Bedrock Runtime endpoint (the local emulator); undefined: the SDK's, which honours `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. */
  endpoint?: string | undefined
  /** Shared-config profile for credentials; undefined: the default chain (`AWS_PROFILE`, env, SSO, roles). */
  profile?: string | undefined
}

export class BedrockSummarizer implements Summarizer {
  readonly provider = 'bedrock'
  readonly #settings: BedrockSettings
  readonly #client: BedrockRuntimeClient
  readonly #agents: [http.Agent, https.Agent]
  /** Secrets the client signed with, so that no error message can ever echo them. */
  readonly #secrets = new Set<string>()

  constructor(settings: BedrockSettings) {
    this.#settings = settings
    const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets }
    this.#agents = [new http.Agent(agentOptions), new https.Agent(agentOptions)]
    const provider = defaultProvider(settings.profile === undefined ? {} : { profile: settings.profile })
    this.#client = new BedrockRuntimeClient({
      region: settings.region,
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      credentials: async (props) => {
        const credentials = await provider(props)
        this.#secrets.add(credentials.secretAccessKey)
        if (credentials.sessionToken) this.#secrets.add(credentials.sessionToken)
        return credentials
      },
      // Our retry policy is the only one: SDK retries would multiply with it and hide attempts.
      maxAttempts: 1,
      // HTTP/1.1 on purpose: the default HTTP/2 handler sends `PRI * HTTP/2.0` to a plain
      // HTTP/1.1 server such as the emulator, and this agent's pool is sized to the run.
      requestHandler: new NodeHttpHandler({
        httpAgent: this.#agents[0],
        httpsAgent: this.#agents[1],
        requestTimeout: settings.requestTimeoutMs,
        // Without it requestTimeout only logs a warning (smithy keeps the old socket-idle meaning).
        throwOnRequestTimeout: true,
        connectionTimeout: CONNECTION_TIMEOUT_MS,
      }),
    })
  }

  async summarize(req: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult> {
    const { system, user, maxTokens, temperature } = this.render(req).request
    const input = {
      modelId: this.#settings.modelId,
      system: [{ text: system }],
      messages: [{ role: 'user' as const, content: [{ text: user }] }],
      inferenceConfig: { maxTokens, temperature },
    }
    // What a tokens-per-minute quota charges before the reply is known: the prompt and the
    // reply's ceiling. The gate corrects it from the usage that comes back.
    const estimatedTokens = estimateTokens(system) + estimateTokens(user) + maxTokens
    const { value, attempts } = await callWithPolicy(
      // A fresh command per attempt: a command carries per-send state (its middleware stack).
      async (abortSignal) => readReply(await this.#client.send(new ConverseCommand(input), { abortSignal })),
      (error) => this.#redact(classifyBedrockError(error, this.#settings)),
      { retry: this.#settings.retry, gate, estimatedTokens, signal },
    )
    return { ...value, model: this.#settings.modelId, attempts }
  }

  render(req: SummaryRequest): RenderedCall {
    return renderCall('bedrock', this.#settings.modelId, req, this.#settings)
  }

  async close(): Promise<void> {
    this.#client.destroy()
    for (const agent of this.#agents) agent.destroy()
  }

  #redact(verdict: ErrorVerdict): ErrorVerdict {
    let message = verdict.message
    for (const secret of this.#secrets) {
      if (secret.length >= 8) message = message.replaceAll(secret, '[redacted]')
    }
    return message === verdict.message ? verdict : { ...verdict, message }
  }
}

type Reply = Omit<SummaryResult, 'model' | 'attempts'>

function readReply(response: ConverseResponse): CallReply<Reply> {
  const blocks = response.output?.message?.content ?? []
  const summary = blocks
    .map((block) => block.text ?? '')
    .join('')
    .trim()
  const stop = response.stopReason
  if (stop === 'content_filtered' || stop === 'guardrail_intervened') {
    // Deterministic at temperature 0: asking again gives the same refusal.
    return failed({ code: ERROR_CODES.MODEL_ERROR, message: `the model declined to summarize the page (stopReason ${stop})`, retryable: false, fatal: false })
  }
  if (summary === '') {
    if (stop === 'model_context_window_exceeded') {
      return failed({ code: ERROR_CODES.MODEL_VALIDATION, message: 'the page is too long for the model (stopReason model_context_window_exceeded)', retryable: false, fatal: false })
    }
    // Rare and usually not repeated, but each try is billed: one more chance only.
    return failed({ code: ERROR_CODES.MODEL_ERROR, message: `the model returned an empty summary (stopReason ${stop ?? 'none'})`, retryable: true, maxRetries: 1, fatal: false })
  }
  const usage = response.usage === undefined ? null : { inputTokens: response.usage.inputTokens ?? 0, outputTokens: response.usage.outputTokens ?? 0 }
  return { ok: true, value: { summary, usage }, tokens: usage === null ? undefined : usage.inputTokens + usage.outputTokens }
}

function failed(verdict: ErrorVerdict): CallReply<Reply> {
  return { ok: false, verdict }
}
