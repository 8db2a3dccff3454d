/**
 * Bedrock Runtime as the AWS SDKs send and read it: Converse, InvokeModel (each model
 * family's native body, see native-bodies.ts), CountTokens, and the two streaming
 * operations (bedrock-streams.ts), around the shared model call.
 */
import type http from 'node:http'
import { sendJson } from '../http.js'
import type { Exchange, Protocol } from '../http.js'
import { invoke } from '../invocation.js'
import type { Backend, Invocation } from '../invocation.js'
import { estimateTokens } from '../model.js'
import type { Conversation } from '../model.js'
import type { Outcome } from '../stats.js'
import { BedrockError, sendBedrockError, stampRequestId, TOO_MANY_REQUESTS, TOO_MANY_TOKENS } from './bedrock-errors.js'
import { invalid, isObject, readConverse, readModelRequest } from './bedrock-requests.js'
import type { ModelRequest } from './bedrock-requests.js'
import { readCall } from './bedrock-call.js'
import { streamRoutes } from './bedrock-streams.js'
import { NATIVE_BODIES, readNativeBody, STOP_REASON } from './native-bodies.js'

type Operation = 'converse' | 'invoke'

export function bedrockRuntime(backend: Backend): Protocol {
  return {
    routes: [
      { method: 'POST', path: /^\/model\/([^/]+)\/converse$/, handle: (exchange) => call(backend, exchange, 'converse') },
      { method: 'POST', path: /^\/model\/([^/]+)\/invoke$/, handle: (exchange) => call(backend, exchange, 'invoke') },
      { method: 'POST', path: /^\/model\/([^/]+)\/count-tokens$/, handle: (exchange) => countTokens(backend, exchange) },
      ...streamRoutes(backend),
    ],
    begin: stampRequestId,
    notFound: ({ req, res }) => sendBedrockError(res, new BedrockError('UnknownOperationException', `No operation matches ${req.method ?? ''} ${req.url ?? ''}`)),
    internalError: (res, message) => sendBedrockError(res, new BedrockError('InternalServerException', message)),
  }
}

async function call(backend: Backend, exchange: Exchange, operation: Operation): Promise<Outcome> {
  const { res } = exchange
  const read = await readCall(backend, exchange, operation)
  if ('answered' in read) return read.answered
  const { request, conversation } = read
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
      return operation === 'converse' ? replyConverse(res, result) : replyInvoke(res, request, result)
  }
}

/**
 * CountTokens reads the body it is given as the operation it names would, and counts what
 * the model would read. Like Bedrock, it is not charged against the quotas and meets no faults.
 */
async function countTokens(backend: Backend, exchange: Exchange): Promise<Outcome> {
  const { res } = exchange
  try {
    const request = await readModelRequest(exchange, backend.settings.deniedModels)
    if (request === undefined) return 0
    const input = isObject(request.json) ? request.json['input'] : undefined
    let conversation: Conversation
    if (isObject(input) && input['converse'] !== undefined) conversation = readConverse(input['converse'])
    else if (isObject(input) && isObject(input['invokeModel']) && typeof input['invokeModel']['body'] === 'string') {
      conversation = readNativeBody(request.family, request.modelId, parseBase64Json(input['invokeModel']['body']))
    } else invalid("1 validation error detected: Value at 'input' failed to satisfy constraint: Member must be one of {converse: {messages, system?}, invokeModel: {body}}")
    return sendJson(res, 200, { inputTokens: estimateTokens(conversation.inputText) })
  } catch (error) {
    if (error instanceof BedrockError) return sendBedrockError(res, error)
    throw error
  }
}

/** A blob member of a JSON request arrives base64-encoded. */
function parseBase64Json(base64: string): unknown {
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'))
  } catch {
    invalid('Malformed input request: input.invokeModel.body is not a base64-encoded JSON body, please reformat your input and try again.')
  }
}

type Answered = Extract<Invocation, { kind: 'answered' }>


function replyConverse(res: http.ServerResponse, { reply, inputTokens, latencyMs }: Answered): number {
  const { text, outputTokens } = reply
  return sendJson(res, 200, {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: STOP_REASON[reply.stop],
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs },
  })
}

/** The family's native reply, with the token counts and latency in Bedrock's headers, as InvokeModel sends them. */
function replyInvoke(res: http.ServerResponse, { family, modelId }: ModelRequest, { reply, inputTokens, latencyMs }: Answered): number {
  const { text, outputTokens } = reply
  res.setHeader('x-amzn-bedrock-input-token-count', String(inputTokens))
  res.setHeader('x-amzn-bedrock-output-token-count', String(outputTokens))
  res.setHeader('x-amzn-bedrock-invocation-latency', String(latencyMs))
  return sendJson(res, 200, NATIVE_BODIES[family].reply({ text, stop: reply.stop, inputTokens, outputTokens }, modelId))
}
