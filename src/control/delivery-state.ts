/**
 * What the learned send rate (`delivery.ts`) knows: its phases, the test or recheck under way,
 * the random share and the rate learned, and the replies it measures goodput and latency on.
 * Plain data, so that the rules that judge a phase (`delivery-judge.ts`) and the moves they
 * make (`delivery-moves.ts`) can live in files of their own.
 */

import { PHASE_MS } from './delivery-rules.js'

/** Weight of each reply in the mean latency. */
const LATENCY_EWMA = 0.1
/** Goodput is measured over this window of replies, or over the last `GOODPUT_REPLIES` if it holds fewer, going back at most `GOODPUT_HISTORY_MS`. */
const GOODPUT_WINDOW_MS = 2 * 1000 // 2 s
export const GOODPUT_REPLIES = 8
const GOODPUT_HISTORY_MS = 30 * 1000 // 30 s

export type RateVerdict =
  /** No throttles yet, or too few to judge. */
  | { kind: 'none' }
  /** Throttles came at `share` of calls whatever the rate: the run keeps `--concurrency` in flight. */
  | { kind: 'random'; share: number }
  /** Throttles rose with the rate: a quota near `perMinute` requests a minute. */
  | { kind: 'quota'; perMinute: number; share: number }

/**
 * A fall to check again at the pace before its test (`verify`: an excess seen while paced, to
 * check at once): the share it is compared with, on how many calls, and the rate it would set.
 */
export interface Recheck {
  share: number
  n: number
  rate: number
  verify: boolean
  phase?: Phase
}

/** The phase that triggered the current drain test. */
export interface DrainTest {
  share: number
  n: number
  goodput: number
  strong: boolean
  /** The phase whose calls the test waits for before it paces (the start of a run). */
  awaiting?: Phase
}

export type PhaseKind = 'open' | 'confirm' | 'drain' | 'recheck' | 'cruise' | 'probe'

/** The sends made at one pace, and what came back of them. */
export interface Phase {
  readonly kind: PhaseKind
  /** Pace of the phase, per second (undefined: unpaced). */
  readonly target: number | undefined
  readonly gain: number
  readonly startedAt: number
  lastSendAt: number
  sends: number
  replied: number
  throttled: number
  /** No more sends join it. */
  closed: boolean
  /** Its verdict has been drawn. */
  judged: boolean
}

export interface DeliveryState {
  mode: 'open' | 'paced'
  /** R: the cruise rate per second, while paced. */
  rate: number
  /** The share of calls throttled at random, learned from phases judged clean; undefined until known. */
  randomShare: number | undefined
  /**
   * The share measured by drain tests, pooled over all of them (calls and throttles summed):
   * paced, the floor is the lower of the two. Pooled, not the lowest: one lucky test of 16
   * calls with no throttle would pin the floor near 0, and every cruise phase after it would
   * look over the quota.
   */
  drainShare: number | undefined
  readonly drained: { calls: number; throttled: number }
  phase: Phase
  testOf: DrainTest | undefined
  /** A drain test whose fall is checked again at the pace before it: what it measured, and the rate it would set. */
  recheck: Recheck | undefined
  probeGain: number
  /** When the run last went back to cruising after a probe. */
  cruisingSince: number
  /** Times of replies that were not throttled, for goodput over the last `GOODPUT_WINDOW_MS`. */
  readonly delivered: number[]
  /** Mean latency of replies, ms (EWMA); undefined before the first. */
  latencyMs: number | undefined
  verdict: RateVerdict
  /** Times the rate was cut because a quota was found lower than the pace. */
  cuts: number
  /** The rate at which the quota was last found (what got through, over the random share), per second. */
  quotaSeen: number
  /** Bumped each time the run learns a rate of its own (peers.ts posts it); not when it takes a share from others. */
  learned: number
  /** When the run began: goodput over a run younger than its window is measured over the run's age. */
  readonly startedAt: number
}

export function newPhase(kind: PhaseKind, target: number | undefined, gain: number, nowMs: number): Phase {
  return { kind, target, gain, startedAt: nowMs, lastSendAt: nowMs, sends: 0, replied: 0, throttled: 0, closed: false, judged: false }
}

/** Replaces the current phase (closed, so no more sends join it) with `next`. */
export function enter(s: DeliveryState, next: Phase): void {
  s.phase.closed = true
  s.phase = next
}

/** A reply that was not throttled came back `latency` ms after its send. */
export function recordDelivery(s: DeliveryState, nowMs: number, latency: number): void {
  s.delivered.push(nowMs)
  s.latencyMs = s.latencyMs === undefined ? latency : s.latencyMs + LATENCY_EWMA * (latency - s.latencyMs)
}

/**
 * Non-throttled replies per second: over the last `GOODPUT_WINDOW_MS`, or over the last
 * `GOODPUT_REPLIES` of them when that window holds fewer (a quota of a few a minute would
 * otherwise measure 0 in two seconds).
 */
export function goodput(s: DeliveryState, nowMs: number): number {
  prune(s, nowMs)
  const times = s.delivered
  const recent = times.length - lowerBound(times, nowMs - GOODPUT_WINDOW_MS)
  // A run younger than the window has delivered over its age only; but over a second at
  // least, or a quota's burst (a second of it, spent at once) would look like its rate.
  const span = Math.min(GOODPUT_WINDOW_MS, Math.max(nowMs - s.startedAt, PHASE_MS))
  if (recent >= GOODPUT_REPLIES || times.length <= recent) return recent / (span / 1000)
  const count = Math.min(GOODPUT_REPLIES, times.length)
  const since = times[times.length - count]!
  return count / (Math.max(GOODPUT_WINDOW_MS, nowMs - since) / 1000)
}

export function prune(s: DeliveryState, nowMs: number): void {
  const since = nowMs - GOODPUT_HISTORY_MS
  let drop = 0
  while (drop < s.delivered.length && s.delivered[drop]! < since) drop++
  if (drop > 0) s.delivered.splice(0, drop)
}

/** Index of the first time at or after `t` in ascending `times`. */
function lowerBound(times: readonly number[], t: number): number {
  let lo = 0
  let hi = times.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (times[mid]! < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The random share throttles are judged against. Paced, the lower of the one learned and
 * the one measured at the lowest pace tried: a floor set too high makes a quota look larger
 * than it is (the pace is the goodput over one minus the floor) and lets probes over it pass.
 */
export function floor(s: DeliveryState): number {
  const share = s.randomShare ?? 0
  return s.mode === 'paced' && s.drainShare !== undefined ? Math.min(share, s.drainShare) : share
}

/** Calls of `phase` that got past the throttles, per second of it (a second at least), less the random share. */
export function admitted(s: DeliveryState, phase: Phase): number {
  // One call at least: a burst all of whose calls were refused by chance (the quota's own burst
  // taken by the random share) says the quota is small, not that it is 0; a test at 0.1 a second took a minute.
  return (Math.max(1, phase.replied - phase.throttled) * (1 - floor(s))) / (Math.max(PHASE_MS, phase.lastSendAt - phase.startedAt) / 1000)
}
