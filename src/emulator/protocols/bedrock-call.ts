import type { Exchange } from '../http.js'
import type { Backend } from '../invocation.js'
import type { Conversation } from '../model.js'
import type { Outcome } from '../stats.js'
import { BedrockError, sendBedrockError } from './bedrock-errors.js'
import { readConverse, readModelRequest, type ModelRequest } from './bedrock-requests.js'
import { readNativeBody } from './native-bodies.js'

/**
 * The conversation a model call asks about, the same for the unary and the streaming
 * operations: Converse bodies for `converse`, each family's native body for `invoke`, with the
 * request it came in. A request that is refused (or needs no answer) has been answered
 * already: its outcome.
 */
export async function readCall(backend: Backend, exchange: Exchange, operation: 'converse' | 'invoke'): Promise<{ request: ModelRequest; conversation: Conversation } | { answered: Outcome }> {
  try {
    const request = await readModelRequest(exchange, backend.settings.deniedModels)
    if (request === undefined) return { answered: 0 }
    return { request, conversation: operation === 'converse' ? readConverse(request.json) : readNativeBody(request.family, request.modelId, request.json) }
  } catch (error) {
    if (error instanceof BedrockError) return { answered: sendBedrockError(exchange.res, error) }
    throw error
  }
}
