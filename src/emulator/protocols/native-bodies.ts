/**
 * Each model family's native InvokeModel body: how its request reads into a Conversation,
 * its reply, and the chunks InvokeModelWithResponseStream carries for it. A body that does
 * not fit the family gets a ValidationException naming the body the model takes.
 */
import { randomBytes } from 'node:crypto'
import type { ModelFamily } from '../catalogue.js'
import type { Conversation, ModelReply } from '../model.js'
import { invalid, isObject, MALFORMED, nonBlankConversation, textBlocks } from './bedrock-requests.js'

/** A reply as every body dresses it. */
export interface Finished {
  text: string
  stop: ModelReply['stop']
  inputTokens: number
  outputTokens: number
}

export interface NativeBody {
  /** The body's name, as the README's model table and the ValidationException give it. */
  name: string
  /** Its fields (`?` for optional), for the ValidationException. */
  fields: string
  read(json: Record<string, unknown>, fail: (detail: string) => never): Conversation
  reply(done: Finished, modelId: string): object
  /** Stream payloads before the first delta. */
  streamStart(inputTokens: number, modelId: string): object[]
  streamDelta(text: string): object
  /** Stream payloads after the last delta; Bedrock adds its invocation metrics to the last one. */
  streamEnd(done: Finished): object[]
}

const ANTHROPIC_VERSION = 'bedrock-2023-05-31'

const anthropic: NativeBody = {
  name: 'Anthropic Messages',
  fields: `{anthropic_version: "${ANTHROPIC_VERSION}", max_tokens, messages, system?}`,
  read(json, fail) {
    if (json['anthropic_version'] === undefined) fail('#: required key [anthropic_version] not found')
    if (json['anthropic_version'] !== ANTHROPIC_VERSION) fail(`anthropic_version must be ${ANTHROPIC_VERSION}`)
    const maxTokens = requiredCount(json, 'max_tokens', fail)
    const messages = json['messages']
    if (!Array.isArray(messages) || messages.length === 0) invalid('messages: at least one message is required')
    const turns = messages.map((message, i) => {
      if (!isObject(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`)
      return { role: message['role'], text: anthropicText(message['content'], `messages.${i}.content`) }
    })
    if (turns[0]?.role !== 'user') invalid('messages: first message must use the "user" role')
    const system = json['system'] === undefined ? '' : anthropicText(json['system'], 'system')
    return nonBlankConversation(system, turns, maxTokens)
  },
  reply: (done, modelId) => ({
    id: `msg_bdrk_${randomBytes(12).toString('hex')}`,
    type: 'message',
    role: 'assistant',
    model: modelId,
    content: [{ type: 'text', text: done.text }],
    stop_reason: STOP_REASON[done.stop],
    stop_sequence: null,
    usage: { input_tokens: done.inputTokens, output_tokens: done.outputTokens },
  }),
  streamStart: (inputTokens, modelId) => [
    {
      type: 'message_start',
      message: {
        id: `msg_bdrk_${randomBytes(12).toString('hex')}`,
        type: 'message',
        role: 'assistant',
        model: modelId,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  ],
  streamDelta: (text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
  streamEnd: (done) => [
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason: STOP_REASON[done.stop], stop_sequence: null }, usage: { output_tokens: done.outputTokens } },
    { type: 'message_stop' },
  ],
}

const nova: NativeBody = {
  name: 'Amazon Nova messages-v1',
  fields: '{schemaVersion?: "messages-v1", messages: [{role, content: [{text}]}], system?: [{text}], inferenceConfig?: {maxTokens?}}',
  read(json, fail) {
    if (json['schemaVersion'] !== undefined && json['schemaVersion'] !== 'messages-v1') fail('schemaVersion must be messages-v1')
    const messages: unknown = json['messages']
    if (!Array.isArray(messages)) return fail('#: required key [messages] not found')
    if (messages.some((m) => !isObject(m) || !Array.isArray(m['content']))) fail('each message needs a content list of {text} blocks')
    const config = json['inferenceConfig']
    const maxTokens = isObject(config) ? config['maxTokens'] : undefined
    if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) fail('inferenceConfig.maxTokens must be an integer of at least 1')
    const turns = (messages as Record<string, unknown>[]).map((m) => ({ role: String(m['role']), text: textBlocks(m['content'] as unknown[]) }))
    if (turns[0]?.role !== 'user') fail('the first message must have the user role')
    const system = Array.isArray(json['system']) ? textBlocks(json['system']) : ''
    return nonBlankConversation(system, turns, maxTokens as number | undefined)
  },
  reply: (done) => ({
    output: { message: { role: 'assistant', content: [{ text: done.text }] } },
    stopReason: STOP_REASON[done.stop],
    usage: { inputTokens: done.inputTokens, outputTokens: done.outputTokens, totalTokens: done.inputTokens + done.outputTokens },
  }),
  streamStart: () => [{ messageStart: { role: 'assistant' } }],
  streamDelta: (text) => ({ contentBlockDelta: { delta: { text }, contentBlockIndex: 0 } }),
  streamEnd: (done) => [
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason: STOP_REASON[done.stop] } },
    { metadata: { usage: { inputTokens: done.inputTokens, outputTokens: done.outputTokens } } },
  ],
}

const titan: NativeBody = {
  name: 'Amazon Titan Text',
  fields: '{inputText, textGenerationConfig?: {maxTokenCount?, temperature?, topP?, stopSequences?}}',
  read(json, fail) {
    const config = json['textGenerationConfig']
    const maxTokens = isObject(config) ? optionalCount(config, 'maxTokenCount', fail) : undefined
    return promptConversation(requiredPrompt(json, 'inputText', fail), maxTokens)
  },
  reply: (done) => ({
    inputTextTokenCount: done.inputTokens,
    results: [{ tokenCount: done.outputTokens, outputText: done.text, completionReason: done.stop === 'complete' ? 'FINISH' : 'LENGTH' }],
  }),
  streamStart: () => [],
  streamDelta: (text) => ({ outputText: text, index: 0, totalOutputTextTokenCount: null, completionReason: null, inputTextTokenCount: null }),
  streamEnd: (done) => [
    { outputText: '', index: 0, totalOutputTextTokenCount: done.outputTokens, completionReason: done.stop === 'complete' ? 'FINISH' : 'LENGTH', inputTextTokenCount: done.inputTokens },
  ],
}

const llama: NativeBody = {
  name: 'Meta Llama',
  fields: '{prompt, max_gen_len?, temperature?, top_p?}',
  read: (json, fail) => promptConversation(requiredPrompt(json, 'prompt', fail), optionalCount(json, 'max_gen_len', fail)),
  reply: (done) => ({ generation: done.text, prompt_token_count: done.inputTokens, generation_token_count: done.outputTokens, stop_reason: LENGTH_STOP[done.stop] }),
  streamStart: () => [],
  streamDelta: (text) => ({ generation: text, prompt_token_count: null, generation_token_count: null, stop_reason: null }),
  streamEnd: (done) => [{ generation: '', prompt_token_count: done.inputTokens, generation_token_count: done.outputTokens, stop_reason: LENGTH_STOP[done.stop] }],
}

const mistral: NativeBody = {
  name: 'Mistral text completion',
  fields: '{prompt, max_tokens?, temperature?, top_p?, top_k?, stop?}',
  read: (json, fail) => promptConversation(requiredPrompt(json, 'prompt', fail), optionalCount(json, 'max_tokens', fail)),
  reply: (done) => ({ outputs: [{ text: done.text, stop_reason: LENGTH_STOP[done.stop] }] }),
  streamStart: () => [],
  streamDelta: (text) => ({ outputs: [{ text, stop_reason: null }] }),
  streamEnd: (done) => [{ outputs: [{ text: '', stop_reason: LENGTH_STOP[done.stop] }] }],
}

const cohere: NativeBody = {
  name: 'Cohere Command R chat',
  fields: '{message, chat_history?, preamble?, max_tokens?, temperature?}',
  read(json, fail) {
    const message = requiredPrompt(json, 'message', fail)
    const history = Array.isArray(json['chat_history']) ? json['chat_history'] : []
    const turns = history.map((turn) => ({
      role: isObject(turn) && turn['role'] === 'CHATBOT' ? 'assistant' : 'user',
      text: isObject(turn) && typeof turn['message'] === 'string' ? turn['message'] : '',
    }))
    const preamble = typeof json['preamble'] === 'string' ? json['preamble'] : ''
    return nonBlankConversation(preamble, [...turns, { role: 'user', text: message }], optionalCount(json, 'max_tokens', fail))
  },
  reply: (done) => ({
    response_id: randomBytes(16).toString('hex'),
    text: done.text,
    generation_id: randomBytes(16).toString('hex'),
    chat_history: [],
    finish_reason: COHERE_FINISH[done.stop],
  }),
  streamStart: () => [{ is_finished: false, event_type: 'stream-start', generation_id: randomBytes(16).toString('hex') }],
  streamDelta: (text) => ({ is_finished: false, event_type: 'text-generation', text }),
  streamEnd: (done) => [
    { is_finished: true, event_type: 'stream-end', finish_reason: COHERE_FINISH[done.stop], response: { text: done.text, finish_reason: COHERE_FINISH[done.stop] } },
  ],
}

export const NATIVE_BODIES: Readonly<Record<ModelFamily, NativeBody>> = { anthropic, nova, titan, llama, mistral, cohere }

/** The family's body read from `json`, or a ValidationException that names the body the model takes. */
export function readNativeBody(family: ModelFamily, modelId: string, json: unknown): Conversation {
  const body = NATIVE_BODIES[family]
  const fail = (detail: string): never => invalid(`Malformed input request: ${detail}; ${modelId} takes the ${body.name} body ${body.fields}, please reformat your input and try again.`)
  if (!isObject(json)) invalid(MALFORMED)
  return body.read(json, fail)
}

/** Converse's stop reasons, which the Anthropic and Nova bodies share. */
export const STOP_REASON: Record<ModelReply['stop'], string> = { complete: 'end_turn', 'max-tokens': 'max_tokens' }
const LENGTH_STOP: Record<ModelReply['stop'], string> = { complete: 'stop', 'max-tokens': 'length' }
const COHERE_FINISH: Record<ModelReply['stop'], string> = { complete: 'COMPLETE', 'max-tokens': 'MAX_TOKENS' }

function anthropicText(content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) invalid(`${where}: Input should be a valid string or list of content blocks`)
  return content.map((block) => (isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string' ? block['text'] : '')).join('\n')
}

function requiredPrompt(json: Record<string, unknown>, key: string, fail: (detail: string) => never): string {
  const value = json[key]
  if (value === undefined) fail(`#: required key [${key}] not found`)
  if (typeof value !== 'string') fail(`#/${key}: expected type: String`)
  return value
}

function requiredCount(json: Record<string, unknown>, key: string, fail: (detail: string) => never): number {
  if (json[key] === undefined) fail(`#: required key [${key}] not found`)
  return optionalCount(json, key, fail) as number
}

function optionalCount(json: Record<string, unknown>, key: string, fail: (detail: string) => never): number | undefined {
  const value = json[key]
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1)) fail(`#/${key}: must be an integer of at least 1`)
  return value as number | undefined
}

/** Prompt-completion bodies carry the whole chat template in one string: it is all the user's turn. */
function promptConversation(prompt: string, maxTokens: number | undefined): Conversation {
  return nonBlankConversation('', [{ role: 'user', text: prompt }], maxTokens)
}
