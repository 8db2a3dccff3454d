/**
 * Bedrock Runtime's Converse and InvokeModel (Anthropic Messages body), as the AWS SDK
 * sends and reads them: the routes, body parsing and validation with Bedrock's messages,
 * and the two reply shapes around the shared model call.
 */
import { randomBytes } from 'node:crypto'
import type http from 'node:http'
import { readBody, sendJson } from '../http.js'
import type { Exchange, Protocol } from '../http.js'
import { invoke } from '../invocation.js'
import type { Backend, Invocation } from '../invocation.js'
import { conversationOf, modelAccess, normaliseModelId } from '../model.js'
import type { Conversation, ModelReply, Turn } from '../model.js'
import type { Outcome } from '../stats.js'
import { BedrockError, sendBedrockError, stampRequestId, TOO_MANY_REQUESTS, TOO_MANY_TOKENS } from './bedrock-errors.js'

const ANTHROPIC_VERSION = 'bedrock-2023-05-31'

type Operation = 'converse' | 'invoke'

export function bedrockRuntime(backend: Backend): Protocol {
  return {
    routes: [
      { method: 'POST', path: /^\/model\/([^/]+)\/converse$/, handle: (exchange) => call(backend, exchange, 'converse') },
      { method: 'POST', path: /^\/model\/([^/]+)\/invoke$/, handle: (exchange) => call(backend, exchange, 'invoke') },
    ],
    begin: stampRequestId,
    notFound: ({ req, res }) => sendBedrockError(res, new BedrockError('UnknownOperationException', `No operation matches ${req.method ?? ''} ${req.url ?? ''}`)),
    internalError: (res, message) => sendBedrockError(res, new BedrockError('InternalServerException', message)),
  }
}

async function call(backend: Backend, exchange: Exchange, operation: Operation): Promise<Outcome> {
  const { req, res } = exchange
  // Bedrock authenticates before anything else; the emulator cannot verify a signature, only
  // insist that there is one, which catches clients that forgot to sign at all.
  if (!(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
    return sendBedrockError(res, new BedrockError('AccessDeniedException', 'Missing Authentication Token: the request must be signed with AWS Signature Version 4.'))
  }
  const body = await readBody(req)
  if (body.kind === 'gone') return 0
  if (body.kind === 'too-large') return sendBedrockError(res, new BedrockError('ValidationException', `Input is too long: the request body exceeds ${body.maxBytes} bytes.`))

  const modelId = normaliseModelId(exchange.params[0] ?? '')
  let conversation: Conversation
  try {
    const access = modelAccess(modelId, backend.settings.deniedModels)
    if (access === 'unknown') throw new BedrockError('ValidationException', 'The provided model identifier is invalid.')
    if (access === 'denied') throw new BedrockError('AccessDeniedException', "You don't have access to the model with the specified model ID.")
    const json = parseJson(body.body)
    conversation = operation === 'converse' ? readConverse(json) : readAnthropic(json, modelId)
  } catch (error) {
    if (error instanceof BedrockError) return sendBedrockError(res, error)
    throw error
  }

  const result = await invoke(backend, conversation, exchange)
  switch (result.kind) {
    case 'dropped':
      return result.outcome
    case 'throttled':
      return sendBedrockError(res, new BedrockError('ThrottlingException', result.reason === 'tpm' ? TOO_MANY_TOKENS : TOO_MANY_REQUESTS))
    case 'failed':
      return sendBedrockError(
        res,
        result.reason === 'unavailable'
          ? new BedrockError('ServiceUnavailableException', 'Bedrock is unable to process your request.')
          : new BedrockError('InternalServerException', 'The server encountered an internal error while processing the request.'),
      )
    case 'answered':
      return operation === 'converse' ? replyConverse(res, result) : replyInvoke(res, modelId, result)
  }
}

type Answered = Extract<Invocation, { kind: 'answered' }>

const STOP_REASON: Record<ModelReply['stop'], string> = { complete: 'end_turn', 'max-tokens': 'max_tokens' }

function replyConverse(res: http.ServerResponse, { reply, inputTokens, latencyMs }: Answered): number {
  const { text, outputTokens } = reply
  return sendJson(res, 200, {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: STOP_REASON[reply.stop],
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs },
  })
}

/** The Anthropic Messages reply, with the token counts and latency in Bedrock's headers, as InvokeModel sends them. */
function replyInvoke(res: http.ServerResponse, modelId: string, { reply, inputTokens, latencyMs }: Answered): number {
  const { text, outputTokens } = reply
  res.setHeader('x-amzn-bedrock-input-token-count', String(inputTokens))
  res.setHeader('x-amzn-bedrock-output-token-count', String(outputTokens))
  res.setHeader('x-amzn-bedrock-invocation-latency', String(latencyMs))
  return sendJson(res, 200, {
    id: `msg_bdrk_${randomBytes(12).toString('hex')}`,
    type: 'message',
    role: 'assistant',
    model: modelId,
    content: [{ type: 'text', text }],
    stop_reason: STOP_REASON[reply.stop],
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  })
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new BedrockError('ValidationException', 'Malformed input request, please reformat your input and try again.')
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(message: string): never {
  throw new BedrockError('ValidationException', message)
}

function readConverse(json: unknown): Conversation {
  if (!isObject(json)) invalid('Malformed input request, please reformat your input and try again.')
  const messages = json['messages']
  if (!Array.isArray(messages) || messages.length === 0) {
    invalid("1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must have length greater than or equal to 1")
  }
  const turns = messages.map((message, i): Turn => {
    if (!isObject(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) {
      invalid(`1 validation error detected: Value at 'messages.${i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`)
    }
    const content = message['content']
    if (!Array.isArray(content) || content.length === 0) {
      invalid(`1 validation error detected: Value at 'messages.${i + 1}.member.content' failed to satisfy constraint: Member must have length greater than or equal to 1`)
    }
    return { role: message['role'], text: content.map((block) => (isObject(block) && typeof block['text'] === 'string' ? block['text'] : '')).join('\n') }
  })
  if (turns[0]?.role !== 'user') invalid('A conversation must start with a user message. Try again with a conversation that starts with a user message.')
  const system = Array.isArray(json['system'])
    ? json['system'].map((block) => (isObject(block) && typeof block['text'] === 'string' ? block['text'] : '')).join('\n')
    : ''
  const config = json['inferenceConfig']
  const maxTokens = isObject(config) ? config['maxTokens'] : undefined
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    invalid("1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1")
  }
  return nonBlankConversation(system, turns, maxTokens as number | undefined)
}

function readAnthropic(json: unknown, modelId: string): Conversation {
  if (!/^(?:[a-z]+\.)?anthropic\./.test(modelId)) {
    invalid(`Malformed input request: the emulator's InvokeModel speaks the Anthropic Messages body only; use Converse for ${modelId}.`)
  }
  if (!isObject(json)) invalid('Malformed input request, please reformat your input and try again.')
  if (json['anthropic_version'] === undefined) invalid('Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.')
  if (json['anthropic_version'] !== ANTHROPIC_VERSION) invalid(`Malformed input request: anthropic_version must be ${ANTHROPIC_VERSION}, please reformat your input and try again.`)
  const maxTokens = json['max_tokens']
  if (maxTokens === undefined) invalid('Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.')
  if (!(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) invalid('Malformed input request: #/max_tokens: must be an integer of at least 1, please reformat your input and try again.')
  const messages = json['messages']
  if (!Array.isArray(messages) || messages.length === 0) invalid('messages: at least one message is required')
  const turns = messages.map((message, i): Turn => {
    if (!isObject(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`)
    return { role: message['role'], text: anthropicText(message['content'], `messages.${i}.content`) }
  })
  if (turns[0]?.role !== 'user') invalid('messages: first message must use the "user" role')
  const system = json['system'] === undefined ? '' : anthropicText(json['system'], 'system')
  return nonBlankConversation(system, turns, maxTokens as number)
}

function anthropicText(content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) invalid(`${where}: Input should be a valid string or list of content blocks`)
  return content.map((block) => (isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string' ? block['text'] : '')).join('\n')
}

function nonBlankConversation(system: string, turns: Turn[], maxTokens: number | undefined): Conversation {
  // Bedrock refuses blank text blocks (and image-only turns, which this emulator does not read).
  turns.forEach((t, i) => {
    if (t.text.trim() === '') invalid(`The text field in the ContentBlock object at messages.${i}.content is blank. Add text to the text field, and try again.`)
  })
  return conversationOf(system, turns, maxTokens)
}
