/**
 * The front half of every Bedrock Runtime operation: the signature check, the body, the
 * model id, and the Converse request shape, with Bedrock's messages. What is left for an
 * operation is its own body and its reply.
 */
import { readBody } from '../http.js'
import type { Exchange } from '../http.js'
import { modelAccess, normaliseModelId } from '../catalogue.js'
import type { ModelFamily } from '../catalogue.js'
import { conversationOf } from '../model.js'
import type { Conversation, Turn } from '../model.js'
import { BedrockError } from './bedrock-errors.js'

export const MALFORMED = 'Malformed input request, please reformat your input and try again.'

export interface ModelRequest {
  /** As named in the path, with an ARN reduced to its id. */
  modelId: string
  family: ModelFamily
  json: unknown
}

/**
 * Checks a request in Bedrock's order: signature, body size, model id, access, JSON. Throws
 * a BedrockError for the caller to send; undefined when the client left mid-body.
 */
export async function readModelRequest(exchange: Exchange, deniedModels: ReadonlySet<string>): Promise<ModelRequest | undefined> {
  const { req } = exchange
  // Bedrock authenticates before anything else; the emulator cannot verify a signature, only
  // insist that there is one, which catches clients that forgot to sign at all.
  if (!(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
    throw new BedrockError('AccessDeniedException', 'Missing Authentication Token: the request must be signed with AWS Signature Version 4.')
  }
  const body = await readBody(req)
  if (body.kind === 'gone') return undefined
  if (body.kind === 'too-large') throw new BedrockError('ValidationException', `Input is too long: the request body exceeds ${body.maxBytes} bytes.`)
  const modelId = normaliseModelId(exchange.params[0] ?? '')
  const access = modelAccess(modelId, deniedModels)
  // The same words as Bedrock's for a typo: scripts match on them.
  if (access.kind === 'unknown') throw new BedrockError('ValidationException', 'The provided model identifier is invalid.')
  if (access.kind === 'denied') throw new BedrockError('AccessDeniedException', "You don't have access to the model with the specified model ID.")
  return { modelId, family: access.family, json: parseJson(body.body) }
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new BedrockError('ValidationException', MALFORMED)
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function invalid(message: string): never {
  throw new BedrockError('ValidationException', message)
}

/** A Converse (or ConverseStream, or CountTokens `converse`) request; `inferenceConfig` is read when present. */
export function readConverse(json: unknown): Conversation {
  if (!isObject(json)) invalid(MALFORMED)
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
    return { role: message['role'], text: textBlocks(content) }
  })
  if (turns[0]?.role !== 'user') invalid('A conversation must start with a user message. Try again with a conversation that starts with a user message.')
  const system = Array.isArray(json['system']) ? textBlocks(json['system']) : ''
  const config = json['inferenceConfig']
  const maxTokens = isObject(config) ? config['maxTokens'] : undefined
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    invalid("1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1")
  }
  return nonBlankConversation(system, turns, maxTokens as number | undefined)
}

/** Converse's `[{text}]` blocks (Nova's native body uses them too); other block kinds carry no text the emulator reads. */
export function textBlocks(blocks: unknown[]): string {
  return blocks.map((block) => (isObject(block) && typeof block['text'] === 'string' ? block['text'] : '')).join('\n')
}

export function nonBlankConversation(system: string, turns: Turn[], maxTokens: number | undefined): Conversation {
  // Bedrock refuses blank text blocks (and image-only turns, which this emulator does not read).
  turns.forEach((t, i) => {
    if (t.text.trim() === '') invalid(`The text field in the ContentBlock object at messages.${i}.content is blank. Add text to the text field, and try again.`)
  })
  return conversationOf(system, turns, maxTokens)
}
