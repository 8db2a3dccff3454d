/**
 * One model call, whatever protocol carried it: quotas, then the fault dice, then the
 * latency, then the fake model's answer. The result is neutral data; the protocol turns it
 * into its own reply or error shape.
 */
import { sleep } from '../control/retry.js'
import type { Admitted, Quotas } from './admission.js'
import { rollFault, rollOvershoot } from './faults.js'
import type { Fault } from './faults.js'
import { resetConnection } from './http.js'
import type { Exchange } from './http.js'
import { answer, estimateTokens } from './model.js'
import type { Conversation, ModelReply } from './model.js'
import type { EmulatorSettings } from './options.js'
import type { StatsRecorder } from './stats.js'

/** What every protocol shares in one running emulator. */
export interface Backend {
  settings: EmulatorSettings
  quotas: Quotas
  stats: StatsRecorder
}

export type Invocation =
  /** `latencyMs` counts from the request's arrival, as Bedrock's reported latency does. */
  | { kind: 'answered'; reply: ModelReply; inputTokens: number; latencyMs: number }
  /** Over a quota, or hit by the throttle dice (`fault`). */
  | { kind: 'throttled'; reason: 'concurrency' | 'rpm' | 'tpm' | 'fault' }
  | { kind: 'failed'; reason: 'unavailable' | 'internal' }
  /** Nothing more to send: the connection was reset, the request is stalled, or the client left (0). */
  | { kind: 'dropped'; outcome: 'reset' | 'stalled' | 0 }

/**
 * Runs a validated call. Quotas come after authentication and validation, as on Bedrock:
 * a malformed call gets its 400 even when over quota, so protocols call this last. Then
 * the random faults, which model trouble behind the quota check, so a call they hit has
 * already been counted against it.
 */
export async function invoke(backend: Backend, conversation: Conversation, exchange: Exchange): Promise<Invocation> {
  const ready = await admitAndWait(backend, conversation, exchange, 1)
  if (ready.kind !== 'ready') return ready
  const { admission, fault, inputTokens } = ready
  if (fault.kind === 'failed') {
    admission.release(0)
    return { kind: 'failed', reason: fault.reason }
  }
  backend.settings.onConversation?.(conversation)
  const reply = answer(conversation, rollOvershoot(backend.settings))
  const latencyMs = Math.round(performance.now() - exchange.arrivedMs)
  // Before the reply goes out, so a client that calls again as soon as it has its answer finds the refund.
  admission.release(reply.outputTokens)
  backend.stats.addTokens(inputTokens + reply.outputTokens)
  return { kind: 'answered', reply, inputTokens, latencyMs }
}

/** Share of a streamed call's latency before its first event; the deltas are spread over the rest. */
const FIRST_EVENT_SHARE = 0.3

export type StreamInvocation =
  | {
      kind: 'streaming'
      reply: ModelReply
      inputTokens: number
      /** From the request's arrival to now, when the stream starts. */
      firstByteLatencyMs: number
      /** How long to spread the deltas over. */
      streamMs: number
      /** Set when the stream is to fail part-way, as Bedrock's mid-stream exception events do. */
      failure: 'unavailable' | 'internal' | undefined
      /** Frees the call's quotas and counts its tokens; `sentTokens` is what the client got. */
      finish(sentTokens: number, completed: boolean): void
    }
  | Extract<Invocation, { kind: 'throttled' | 'dropped' }>

/**
 * A streamed call: the same quotas and dice as `invoke`, but the call holds its quotas until
 * the stream ends, and a failure rolled by the dice happens mid-stream, after the first events.
 */
export async function invokeStream(backend: Backend, conversation: Conversation, exchange: Exchange): Promise<StreamInvocation> {
  const ready = await admitAndWait(backend, conversation, exchange, FIRST_EVENT_SHARE)
  if (ready.kind !== 'ready') return ready
  const { admission, fault, inputTokens } = ready
  const failed = fault.kind === 'failed'
  // A failing stream rolls no overshoot: the dice's order for answered calls stays as it is.
  backend.settings.onConversation?.(conversation)
  const reply = answer(conversation, failed ? false : rollOvershoot(backend.settings))
  return {
    kind: 'streaming',
    reply,
    inputTokens,
    firstByteLatencyMs: Math.round(performance.now() - exchange.arrivedMs),
    streamMs: failed ? fault.delayMs : fault.delayMs * (1 - FIRST_EVENT_SHARE),
    failure: failed ? fault.reason : undefined,
    finish: (sentTokens, completed) => {
      admission.release(sentTokens)
      if (completed) backend.stats.addTokens(inputTokens + sentTokens)
    },
  }
}

type Ready = { kind: 'ready'; admission: Admitted; fault: Extract<Fault, { kind: 'none' | 'failed' }>; inputTokens: number }

/** Quotas, dice, and `share` of the rolled delay; what is left is a call to answer or fail. */
async function admitAndWait(backend: Backend, conversation: Conversation, exchange: Exchange, share: number): Promise<Ready | Extract<Invocation, { kind: 'throttled' | 'dropped' }>> {
  const { settings, quotas } = backend
  const inputTokens = estimateTokens(conversation.inputText)
  const admission = quotas.admit(inputTokens, conversation.maxTokens)
  if (admission.kind === 'throttled') return admission
  // However the request ends (the client hung up, the connection was reset, close()), its
  // concurrency slot and unused tokens come back; an answered request releases earlier.
  exchange.gone.addEventListener('abort', () => admission.release(0), { once: true })

  const fault = rollFault(settings)
  if (fault.kind === 'throttled') {
    admission.release(0)
    return { kind: 'throttled', reason: 'fault' }
  }
  // A stalled request needs no timer: the open response holds it until the client's socket
  // closes or close() drops every connection, and `gone` then releases its admission.
  if (fault.kind === 'stalled') return { kind: 'dropped', outcome: 'stalled' }
  try {
    // A failure comes before generation: a stream meets it after its first events, so it waits its whole delay first.
    await sleep(fault.kind === 'none' ? fault.delayMs * share : fault.delayMs, exchange.gone)
  } catch {
    return { kind: 'dropped', outcome: 0 }
  }
  if (fault.kind === 'reset') return { kind: 'dropped', outcome: resetConnection(exchange.res) }
  return { kind: 'ready', admission, fault, inputTokens }
}
