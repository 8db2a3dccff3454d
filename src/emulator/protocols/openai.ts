/**
 * The OpenAI Chat Completions API as the `openai` SDKs send and read it, at OpenAI's paths
 * (`/v1/chat/completions`, `/v1/models`) and Azure OpenAI's
 * (`/openai/deployments/{deployment}/chat/completions?api-version=…`), around the shared
 * model call: the same quotas, faults and latency as the Bedrock routes. Every reply states
 * the quota in `x-ratelimit-*` headers, as OpenAI and Azure do.
 */
import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import type { QuotaState } from '../admission.js'
import { readBody, sendJson } from '../http.js'
import type { Exchange, Protocol } from '../http.js'
import { invoke } from '../invocation.js'
import type { Backend } from '../invocation.js'
import { conversationOf, estimateTokens } from '../model.js'
import type { Conversation, Turn } from '../model.js'
import type { Outcome } from '../stats.js'

/** The model names the OpenAI route answers; any other gets OpenAI's 404 model_not_found. Azure deployments may have any name. */
export const OPENAI_MODELS: readonly string[] = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-3.5-turbo']

/** The context window the emulated models have, in tokens: a longer prompt gets context_length_exceeded. */
const CONTEXT_WINDOW_TOKENS = 128_000
/** What a throttle-dice or in-flight 429 asks the client to wait: the server cannot know better. */
const DICE_RETRY_AFTER_MS = 200
const CREATED = Math.floor(Date.now() / 1000)

type Flavour = 'openai' | 'azure'

export function openai(backend: Backend): Protocol {
  return {
    routes: [
      { method: 'POST', path: /^\/v1\/chat\/completions$/, handle: (exchange) => chat(backend, exchange, 'openai') },
      { method: 'POST', path: /^\/openai\/deployments\/([^/]+)\/chat\/completions$/, handle: (exchange) => chat(backend, exchange, 'azure') },
      { method: 'GET', path: /^\/v1\/models$/, handle: (exchange) => models(backend, exchange) },
    ],
    begin: (res) => res.setHeader('x-request-id', `req_${randomUUID().replaceAll('-', '')}`),
    notFound: ({ req, res }) => sendError(res, 404, { message: `Unknown request URL: ${req.method ?? ''} ${req.url ?? ''}.`, type: 'invalid_request_error', code: 'unknown_url' }),
    internalError: (res, message) => sendError(res, 500, { message, type: 'server_error', code: null }),
  }
}

interface ApiError {
  message: string
  type: string
  code: string | null
  param?: string | null
}

/** Thrown while reading a request, caught by its handler, which sends it. */
class OpenAIError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message)
  }
}

function sendError(res: http.ServerResponse, status: number, error: ApiError, headers: Record<string, string> = {}): number {
  if (res.headersSent) {
    res.destroy()
    return 0
  }
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  return sendJson(res, status, { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code } })
}

function invalid(message: string, param: string | null = null): never {
  throw new OpenAIError(400, { message, type: 'invalid_request_error', code: null, param })
}

async function chat(backend: Backend, exchange: Exchange, flavour: Flavour): Promise<Outcome> {
  const { res } = exchange
  let conversation: Conversation
  let model: string
  try {
    const request = await readRequest(backend, exchange, flavour)
    if (request === undefined) return 0
    ;({ conversation, model } = request)
  } catch (error) {
    if (error instanceof OpenAIError) return sendError(res, error.status, error.body)
    throw error
  }
  const result = await invoke(backend, conversation, exchange)
  switch (result.kind) {
    case 'dropped':
      return result.outcome
    case 'throttled': {
      const waitMs = result.reason === 'rpm' || result.reason === 'tpm' ? backend.quotas.waitMs(result.reason, estimateTokens(conversation.inputText), conversation.maxTokens) : DICE_RETRY_AFTER_MS
      stateLimits(backend, res)
      const what = result.reason === 'tpm' ? 'tokens' : 'requests'
      return sendError(
        res,
        429,
        { message: `Rate limit reached for ${model} on ${what}. Please try again in ${waitMs}ms.`, type: what, code: 'rate_limit_exceeded' },
        { 'retry-after-ms': String(waitMs), 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) },
      )
    }
    case 'failed':
      return result.reason === 'unavailable'
        ? sendError(res, 503, { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null })
        : sendError(res, 500, { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null })
    case 'answered': {
      const { reply, inputTokens, latencyMs } = result
      stateLimits(backend, res)
      res.setHeader('openai-processing-ms', String(latencyMs))
      return sendJson(res, 200, {
        id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply.text, refusal: null }, logprobs: null, finish_reason: reply.stop === 'complete' ? 'stop' : 'length' }],
        usage: { prompt_tokens: inputTokens, completion_tokens: reply.outputTokens, total_tokens: inputTokens + reply.outputTokens },
      })
    }
  }
}

/** Checks a request in OpenAI's order: key, api-version (Azure), body, model, then the messages. */
async function readRequest(backend: Backend, exchange: Exchange, flavour: Flavour): Promise<{ conversation: Conversation; model: string } | undefined> {
  const { req } = exchange
  authenticate(backend, req, flavour)
  if (flavour === 'azure' && new URL(req.url ?? '/', 'http://emulator').searchParams.get('api-version') === null) {
    throw new OpenAIError(404, { message: 'Resource not found', type: 'invalid_request_error', code: '404' })
  }
  const body = await readBody(req)
  if (body.kind === 'gone') return undefined
  if (body.kind === 'too-large') invalid(`The request body exceeds ${body.maxBytes} bytes.`)
  let json: unknown
  try {
    json = JSON.parse(body.body.toString('utf8'))
  } catch {
    invalid("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)")
  }
  if (!isObject(json)) invalid('The request body must be a JSON object.')
  const deployment = exchange.params[0]
  const model = flavour === 'azure' ? (deployment ?? '') : json['model']
  if (typeof model !== 'string' || model === '') invalid('you must provide a model parameter', 'model')
  if (flavour === 'azure' && backend.settings.deniedModels.has(model)) {
    throw new OpenAIError(404, { message: 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.', type: 'invalid_request_error', code: 'DeploymentNotFound' })
  }
  if (flavour === 'openai' && (!OPENAI_MODELS.includes(model) || backend.settings.deniedModels.has(model))) {
    throw new OpenAIError(404, { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found' })
  }
  if (json['stream'] === true) invalid('The emulator does not stream Chat Completions; leave `stream` unset.', 'stream')
  const conversation = readMessages(json)
  const tokens = estimateTokens(conversation.inputText)
  if (tokens > CONTEXT_WINDOW_TOKENS) {
    throw new OpenAIError(400, { message: `This model's maximum context length is ${CONTEXT_WINDOW_TOKENS} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`, type: 'invalid_request_error', code: 'context_length_exceeded', param: 'messages' })
  }
  return { conversation, model }
}

/** OpenAI reads `Authorization: Bearer KEY`; Azure reads `api-key: KEY` (or a Bearer token). */
function authenticate(backend: Backend, req: http.IncomingMessage, flavour: Flavour): void {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim()
  const header = req.headers['api-key']
  const key = flavour === 'azure' ? ((typeof header === 'string' ? header.trim() : undefined) ?? bearer) : bearer
  const expected = backend.settings.apiKey
  if (key !== undefined && key !== '' && (expected === undefined || key === expected)) return
  if (flavour === 'azure') {
    throw new OpenAIError(401, { message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.', type: 'invalid_request_error', code: '401' })
  }
  const message = key === undefined || key === '' ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)." : `Incorrect API key provided: ${maskKey(key)}.`
  throw new OpenAIError(401, { message, type: 'invalid_request_error', code: 'invalid_api_key' })
}

/** OpenAI quotes the start and end of a wrong key; so does the emulator, so clients must scrub it. */
function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}`
}

function readMessages(json: Record<string, unknown>): Conversation {
  const messages = json['messages']
  if (!Array.isArray(messages) || messages.length === 0) invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages')
  const system: string[] = []
  const turns: Turn[] = []
  messages.forEach((message, i) => {
    const role = isObject(message) ? message['role'] : undefined
    if (role !== 'system' && role !== 'developer' && role !== 'user' && role !== 'assistant') {
      invalid(`Invalid value: '${String(role)}'. Supported values are: 'system', 'developer', 'user' and 'assistant'.`, `messages[${i}].role`)
    }
    const text = contentText((message as Record<string, unknown>)['content'])
    if (text === undefined) invalid(`Invalid type for 'messages[${i}].content': expected a string or an array of text parts.`, `messages[${i}].content`)
    if (role === 'system' || role === 'developer') system.push(text)
    else turns.push({ role, text })
  })
  const maxTokens = json['max_completion_tokens'] ?? json['max_tokens']
  if (maxTokens !== undefined && maxTokens !== null && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    invalid(`Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got ${String(maxTokens)} instead.`, 'max_tokens')
  }
  return conversationOf(system.join('\n'), turns, (maxTokens ?? undefined) as number | undefined)
}

/** A message's content: a string, or an array of `{type: 'text', text}` parts; undefined for anything else. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return undefined
  return content.map((part) => (isObject(part) && typeof part['text'] === 'string' ? part['text'] : '')).join('\n')
}

async function models(backend: Backend, exchange: Exchange): Promise<Outcome> {
  try {
    authenticate(backend, exchange.req, 'openai')
  } catch (error) {
    if (error instanceof OpenAIError) return sendError(exchange.res, error.status, error.body)
    throw error
  }
  const data = OPENAI_MODELS.filter((id) => !backend.settings.deniedModels.has(id)).map((id) => ({ id, object: 'model', created: CREATED, owned_by: 'system' }))
  return sendJson(exchange.res, 200, { object: 'list', data })
}

/** The quota as OpenAI states it: limit, what is left now, and when it is whole again. */
function stateLimits(backend: Backend, res: http.ServerResponse): void {
  if (res.headersSent) return
  const { rpm, tpm } = backend.quotas.state()
  const set = (kind: 'requests' | 'tokens', state: QuotaState | undefined): void => {
    if (state === undefined) return
    res.setHeader(`x-ratelimit-limit-${kind}`, String(state.limit))
    res.setHeader(`x-ratelimit-remaining-${kind}`, String(state.remaining))
    res.setHeader(`x-ratelimit-reset-${kind}`, duration(state.resetMs))
  }
  set('requests', rpm)
  set('tokens', tpm)
}

/** OpenAI's reset format: `20ms`, `1.5s`, `6m0s`. */
function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  const seconds = ms / 1000
  if (seconds < 60) return `${Number(seconds.toFixed(3))}s`
  return `${Math.floor(seconds / 60)}m${Number((seconds % 60).toFixed(3))}s`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
