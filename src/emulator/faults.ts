/**
 * The seeded dice: which trouble a call meets behind the quota check, and how long it
 * waits. Every roll goes through `settings.random`, in a fixed order, so a test that seeds
 * it replays the same faults.
 */
import type { EmulatorSettings } from './options.js'

/** 5xx come back faster than answers: the failure happens before generation. */
const ERROR_LATENCY_SHARE = 0.25
/** A reset connection drops early in the call, like a load balancer giving up on a backend. */
const RESET_LATENCY_SHARE = 0.25

/** What happens to an admitted call; `delayMs` is how long before it happens. */
export type Fault =
  | { kind: 'throttled' }
  | { kind: 'stalled' }
  | { kind: 'reset'; delayMs: number }
  | { kind: 'failed'; reason: 'unavailable' | 'internal'; delayMs: number }
  | { kind: 'none'; delayMs: number }

type FaultSettings = Pick<EmulatorSettings, 'random' | 'throttleRate' | 'resetRate' | 'stallRate' | 'errorRate' | 'latencyMs' | 'jitterMs'>

/**
 * Rolls for one admitted call. A rate of 0 rolls nothing, and a call that is throttled or
 * stalled rolls nothing more: the order and number of rolls are part of the behaviour.
 */
export function rollFault(settings: FaultSettings): Fault {
  const { random } = settings
  if (settings.throttleRate > 0 && random() < settings.throttleRate) return { kind: 'throttled' }
  const reset = settings.resetRate > 0 && random() < settings.resetRate
  const stall = !reset && settings.stallRate > 0 && random() < settings.stallRate
  if (stall) return { kind: 'stalled' }
  const failure = !reset && settings.errorRate > 0 && random() < settings.errorRate
  const unavailable = failure && random() < 0.5
  const latency = Math.max(0, settings.latencyMs + (random() * 2 - 1) * settings.jitterMs)
  if (reset) return { kind: 'reset', delayMs: latency * RESET_LATENCY_SHARE }
  if (failure) return { kind: 'failed', reason: unavailable ? 'unavailable' : 'internal', delayMs: latency * ERROR_LATENCY_SHARE }
  return { kind: 'none', delayMs: latency }
}

/** Rolled once the call's latency has passed, just before the model answers. */
export function rollOvershoot(settings: Pick<EmulatorSettings, 'random' | 'overshootRate'>): boolean {
  return settings.overshootRate > 0 && settings.random() < settings.overshootRate
}
