import type { OpenAI } from 'openai'
import type { ChatCompletion } from 'openai/resources/chat/completions'
import type { Agent } from 'undici'
import { callWithPolicy, type CallReply } from '../control/call.js'
import type { CallGate } from '../control/gate.js'
import { limitsFromHeaders } from '../control/limits.js'
import type { ErrorVerdict } from '../control/verdict.js'
import { ERROR_CODES } from '../errors.js'
import { estimateTokens } from '../tokens.js'
import { CONNECTION_TIMEOUT_MS, type ModelClientSettings } from './client-settings.js'
import { classifyOpenAIError, scrubKeys } from './openai-errors.js'
import { renderCall, type RenderedCall } from './model-request.js'
import type { Summarizer, SummaryRequest, SummaryResult } from './summarizer.js'

/** Azure OpenAI's coordinates: calls go to `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…`. */
export interface AzureSettings {
  /** `AZURE_OPENAI_ENDPOINT`, e.g. `https://my-resource.openai.azure.com`. */
  endpoint: string
  /** `--azure-deployment`: the deployment's name, which stands for the model. */
  deployment: string
  /** `OPENAI_API_VERSION`, e.g. `2024-10-21`. */
  apiVersion: string
}

/**
 * Everything a worker needs to build its own OpenAI client. Plain data: it crosses thread
 * boundaries. `apiKey` is a secret: nothing prints these settings, and every message the
 * summarizer produces is scrubbed of it.
 */
export interface OpenAISettings extends ModelClientSettings {
  /** Model name sent with each request (for Azure, what records carry; the deployment decides the model). */
  model: string
  /** OpenAI's API or any compatible server, e.g. `http://127.0.0.1:8000/v1`; undefined: `https://api.openai.com/v1`. Unused with `azure`. */
  baseURL?: string | undefined
  /** Set for Azure OpenAI (the `AzureOpenAI` client, `api-key` header). */
  azure?: AzureSettings | undefined
  apiKey: string
}

/** Summaries through the Chat Completions API, with the `openai` package's retries off: the run's policies own every call. */
export class OpenAISummarizer implements Summarizer {
  readonly provider = 'openai'
  readonly #settings: OpenAISettings
  /** Built on first use: the SDK loads only in a run (and a thread) that calls it. */
  #client: Promise<{ client: OpenAI; agent: Agent }> | undefined

  constructor(settings: OpenAISettings) {
    this.#settings = settings
  }

  async summarize(req: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult> {
    const { client } = await (this.#client ??= buildClient(this.#settings))
    const { system, user, maxTokens, temperature } = this.render(req).request
    const body = {
      model: this.#settings.model,
      messages: [
        { role: 'system' as const, content: system },
        { role: 'user' as const, content: user },
      ],
      // `max_tokens`, not `max_completion_tokens`: the one every compatible server reads.
      max_tokens: maxTokens,
      temperature,
    }
    const estimatedTokens = estimateTokens(system) + estimateTokens(user) + maxTokens
    const context = { model: this.#settings.model, azureDeployment: this.#settings.azure?.deployment }
    const { value, attempts } = await callWithPolicy(
      async (abortSignal) => {
        // The SDK adds an abort listener to the signal it is given and never removes it, so
        // the run's signal would collect one per call (MaxListenersExceededWarning, and a
        // leak over a long run). It gets a signal of its own per call, linked here and
        // unlinked when the call ends.
        const call = new AbortController()
        const onAbort = (): void => call.abort(abortSignal?.reason)
        if (abortSignal?.aborted === true) onAbort()
        abortSignal?.addEventListener('abort', onAbort, { once: true })
        try {
          const { data, response } = await client.chat.completions.create(body, { signal: call.signal }).withResponse()
          return readReply(data, response.headers)
        } finally {
          abortSignal?.removeEventListener('abort', onAbort)
        }
      },
      (error) => this.#redact(classifyOpenAIError(error, context)),
      { retry: this.#settings.retry, gate, estimatedTokens, signal },
    )
    return { ...value, model: this.#settings.model, attempts }
  }

  render(req: SummaryRequest): RenderedCall {
    return renderCall('openai', this.#settings.model, req, this.#settings)
  }

  async close(): Promise<void> {
    const built = this.#client
    this.#client = undefined
    if (built !== undefined) await (await built).agent.close()
  }

  #redact(verdict: ErrorVerdict): ErrorVerdict {
    const key = this.#settings.apiKey
    let message = verdict.message
    if (key.length >= 8) message = message.replaceAll(key, '[redacted]')
    message = scrubKeys(message)
    return message === verdict.message ? verdict : { ...verdict, message }
  }
}

async function buildClient(settings: OpenAISettings): Promise<{ client: OpenAI; agent: Agent }> {
  const [{ OpenAI, AzureOpenAI }, undici] = await Promise.all([import('openai'), import('undici')])
  // undici's own fetch with an agent sized to the run: the global fetch's pool is unbounded and unshared with our limits.
  const agent = new undici.Agent({ connections: settings.maxSockets, connect: { timeout: CONNECTION_TIMEOUT_MS } })
  const fetch = ((url: string | URL | Request, init?: RequestInit) => undici.fetch(url as string, { ...(init as object), dispatcher: agent })) as unknown as typeof globalThis.fetch
  const common = {
    apiKey: settings.apiKey,
    // Our retry policy is the only one: the SDK's would multiply with it and hide attempts.
    maxRetries: 0,
    timeout: settings.requestTimeoutMs,
    fetch,
  }
  const client = settings.azure === undefined
    ? new OpenAI({ ...common, ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }) })
    : new AzureOpenAI({ ...common, endpoint: settings.azure.endpoint, deployment: settings.azure.deployment, apiVersion: settings.azure.apiVersion })
  return { client, agent }
}

type Reply = Omit<SummaryResult, 'model' | 'attempts'>

function readReply(completion: ChatCompletion, headers: Headers): CallReply<Reply> {
  const choice = completion.choices[0]
  const summary = (choice?.message.content ?? '').trim()
  const finish = choice?.finish_reason
  if (finish === 'content_filter') {
    // Deterministic at temperature 0: asking again gives the same refusal.
    return failed({ code: ERROR_CODES.MODEL_ERROR, message: 'the model declined to summarize the page (finish_reason content_filter)', retryable: false, fatal: false })
  }
  if (summary === '') {
    // Rare and usually not repeated, but each try is billed: one more chance only.
    return failed({ code: ERROR_CODES.MODEL_ERROR, message: `the model returned an empty summary (finish_reason ${finish ?? 'none'})`, retryable: true, maxRetries: 1, fatal: false })
  }
  const usage = completion.usage === undefined ? null : { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens }
  const limits = limitsFromHeaders((name) => headers.get(name))
  return { ok: true, value: { summary, usage }, tokens: usage === null ? undefined : usage.inputTokens + usage.outputTokens, limits }
}

function failed(verdict: ErrorVerdict): CallReply<Reply> {
  return { ok: false, verdict }
}
