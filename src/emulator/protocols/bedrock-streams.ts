/**
 * ConverseStream and InvokeModelWithResponseStream: the same call as their unary twins, its
 * reply sent as event-stream frames spread over the call's latency. A throttled call is an
 * HTTP 429 before any frame; a failure rolled by the dice comes mid-stream, as an exception
 * event after part of the reply.
 */
import { sleep } from '../../control/retry.js'
import type { Exchange, Route } from '../http.js'
import { invokeStream } from '../invocation.js'
import type { Backend } from '../invocation.js'
import { deltas, estimateTokens } from '../model.js'
import type { Outcome } from '../stats.js'
import { readCall } from './bedrock-call.js'
import { BedrockError, sendBedrockError, TOO_MANY_REQUESTS, TOO_MANY_TOKENS } from './bedrock-errors.js'
import type { ModelRequest } from './bedrock-requests.js'
import { endWithException, sendEvent, startEventStream } from './event-stream.js'
import type { StreamExceptionName } from './event-stream.js'
import { NATIVE_BODIES, STOP_REASON } from './native-bodies.js'
import type { Finished } from './native-bodies.js'

interface Timing {
  latencyMs: number
  firstByteLatencyMs: number
}

/** How one operation dresses the stream's parts as events. */
interface StreamShape {
  headers: Record<string, string>
  start(send: Send): void
  delta(send: Send, text: string): void
  end(send: Send, done: Finished, timing: Timing): void
}

type Send = (eventType: string, payload: unknown) => void


const converseStream = (): StreamShape => ({
  headers: {},
  start: (send) => send('messageStart', { role: 'assistant' }),
  delta: (send, text) => send('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
  end: (send, done, { latencyMs }) => {
    send('contentBlockStop', { contentBlockIndex: 0 })
    send('messageStop', { stopReason: STOP_REASON[done.stop] })
    send('metadata', {
      usage: { inputTokens: done.inputTokens, outputTokens: done.outputTokens, totalTokens: done.inputTokens + done.outputTokens },
      metrics: { latencyMs },
    })
  },
})

/** The family's own stream payloads, each base64 in a `chunk` event's `bytes`; the last carries Bedrock's invocation metrics. */
const nativeStream = ({ family, modelId }: ModelRequest, inputTokens: number): StreamShape => {
  const body = NATIVE_BODIES[family]
  const chunk = (send: Send, payload: object): void => send('chunk', { bytes: Buffer.from(JSON.stringify(payload)).toString('base64') })
  return {
    headers: { 'x-amzn-bedrock-content-type': 'application/json' },
    start: (send) => body.streamStart(inputTokens, modelId).forEach((payload) => chunk(send, payload)),
    delta: (send, text) => chunk(send, body.streamDelta(text)),
    end: (send, done, { latencyMs, firstByteLatencyMs }) => {
      const payloads = body.streamEnd(done)
      const metrics = { inputTokenCount: done.inputTokens, outputTokenCount: done.outputTokens, invocationLatency: latencyMs, firstByteLatency: firstByteLatencyMs }
      payloads.forEach((payload, i) => chunk(send, i === payloads.length - 1 ? { ...payload, 'amazon-bedrock-invocationMetrics': metrics } : payload))
    },
  }
}

const MID_STREAM_FAILURE: Record<'unavailable' | 'internal', { name: StreamExceptionName; message: string; outcome: number }> = {
  internal: { name: 'internalServerException', message: 'The server encountered an internal error while processing the request.', outcome: 500 },
  unavailable: { name: 'modelStreamErrorException', message: 'The model stopped streaming its response. Try your request again.', outcome: 503 },
}

export function streamRoutes(backend: Backend): Route[] {
  return [
    { method: 'POST', path: /^\/model\/([^/]+)\/converse-stream$/, handle: (exchange) => stream(backend, exchange, 'converse') },
    { method: 'POST', path: /^\/model\/([^/]+)\/invoke-with-response-stream$/, handle: (exchange) => stream(backend, exchange, 'invoke') },
  ]
}

async function stream(backend: Backend, exchange: Exchange, operation: 'converse' | 'invoke'): Promise<Outcome> {
  const { res, gone } = exchange
  const read = await readCall(backend, exchange, operation)
  if ('answered' in read) return read.answered
  const { request, conversation } = read
  const call = await invokeStream(backend, conversation, exchange)
  if (call.kind === 'dropped') return call.outcome
  if (call.kind === 'throttled') return sendBedrockError(res, new BedrockError('ThrottlingException', call.reason === 'tpm' ? TOO_MANY_TOKENS : TOO_MANY_REQUESTS))

  const { reply, inputTokens } = call
  const shape = operation === 'converse' ? converseStream() : nativeStream(request, inputTokens)
  const send: Send = (eventType, payload) => sendEvent(res, eventType, payload)
  const pieces = deltas(reply.text)
  // A failing stream gets half-way through the reply before its exception event.
  const count = call.failure === undefined ? pieces.length : Math.floor(pieces.length / 2)
  const pauseMs = call.streamMs / Math.max(1, count)
  let sentText = ''
  startEventStream(res, shape.headers)
  shape.start(send)
  for (const piece of pieces.slice(0, count)) {
    try {
      await sleep(pauseMs, gone)
    } catch {
      call.finish(estimateTokens(sentText), false)
      return 0
    }
    shape.delta(send, piece)
    sentText += piece
  }
  if (call.failure !== undefined) {
    const failure = MID_STREAM_FAILURE[call.failure]
    endWithException(res, failure.name, failure.message)
    call.finish(estimateTokens(sentText), false)
    return failure.outcome
  }
  const latencyMs = Math.round(performance.now() - exchange.arrivedMs)
  // Released before the last frames go out, as `invoke` does, so a client calling again at once finds the refund.
  call.finish(reply.outputTokens, true)
  shape.end(send, { text: reply.text, stop: reply.stop, inputTokens, outputTokens: reply.outputTokens }, { latencyMs, firstByteLatencyMs: call.firstByteLatencyMs })
  res.end()
  return 200
}
