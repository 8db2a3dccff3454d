/**
 * One model call, whatever protocol carried it: quotas, then the fault dice, then the
 * latency, then the fake model's answer. The result is neutral data; the protocol turns it
 * into its own reply or error shape.
 */
import { sleep } from '../control/retry.js'
import type { Quotas } from './admission.js'
import { rollFault, rollOvershoot } from './faults.js'
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
  const { settings, quotas, stats } = backend
  const inputTokens = estimateTokens(conversation.inputText)
  const admission = quotas.admit(inputTokens, conversation.maxTokens)
  if (admission.kind === 'throttled') return admission
  // However the request ends (the client hung up, the connection was reset, close()), its
  // concurrency slot and unused tokens come back; an answered request releases earlier, below.
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
    await sleep(fault.delayMs, exchange.gone)
  } catch {
    return { kind: 'dropped', outcome: 0 }
  }
  if (fault.kind === 'reset') return { kind: 'dropped', outcome: resetConnection(exchange.res) }
  if (fault.kind === 'failed') {
    admission.release(0)
    return { kind: 'failed', reason: fault.reason }
  }

  const reply = answer(conversation, rollOvershoot(settings))
  const latencyMs = Math.round(performance.now() - exchange.arrivedMs)
  // Before the reply goes out, so a client that calls again as soon as it has its answer finds the refund.
  admission.release(reply.outputTokens)
  stats.addTokens(inputTokens + reply.outputTokens)
  return { kind: 'answered', reply, inputTokens, latencyMs }
}
