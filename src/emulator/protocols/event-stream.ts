/**
 * Bedrock's streamed replies on the wire: `application/vnd.amazon.eventstream` frames
 * (encoded by the SDK's own codec, so the CRCs and header types are what its parser and
 * boto3's expect), events and exception events, written one at a time as the call runs.
 */
import type http from 'node:http'
import { EventStreamCodec } from '@smithy/core/event-streams'
import type { MessageHeaders } from '@smithy/core/event-streams'
import { fromUtf8, toUtf8 } from '@smithy/core/serde'

const codec = new EventStreamCodec(toUtf8, fromUtf8)

/** Exception events as Bedrock names them in its stream unions (lower camel case, unlike HTTP errors). */
export type StreamExceptionName = 'internalServerException' | 'serviceUnavailableException' | 'modelStreamErrorException' | 'throttlingException' | 'validationException'

function header(value: string): MessageHeaders[string] {
  return { type: 'string', value }
}

/** Sends the 200 and the stream's headers; events follow with `sendEvent`. */
export function startEventStream(res: http.ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', ...headers })
  // The first frames are small: without this Node may hold them back, and the client sees no stream.
  res.flushHeaders()
}

export function sendEvent(res: http.ServerResponse, eventType: string, payload: unknown): void {
  res.write(
    codec.encode({
      headers: { ':message-type': header('event'), ':event-type': header(eventType), ':content-type': header('application/json') },
      body: fromUtf8(JSON.stringify(payload)),
    }),
  )
}

/** A failure after the stream started: the status is already 200, so it travels as an exception event, and the stream ends. */
export function endWithException(res: http.ServerResponse, exceptionType: StreamExceptionName, message: string): void {
  res.end(
    codec.encode({
      headers: { ':message-type': header('exception'), ':exception-type': header(exceptionType), ':content-type': header('application/json') },
      body: fromUtf8(JSON.stringify({ message })),
    }),
  )
}
