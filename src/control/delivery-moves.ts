/**
 * The moves of the learned send rate (`delivery.ts`): start a drain test or a recheck, pace
 * at a rate found, go back to sending unpaced, and refine the random share. The rules that
 * choose among them are in `delivery-judge.ts`.
 */

import {
  CLEAR_MARGIN,
  CUT_BETA,
  DRAIN_GAIN,
  LEARN_Z,
  MAX_CUT,
  MAX_TEST_SHARE,
  MIN_PER_SECOND,
  MIN_VARIANCE,
  PROBE_GAIN,
  SHARE_EWMA_PER_CALL,
  SHARE_PRIOR,
  SMALL_CUT,
  cautious,
} from './delivery-rules.js'
import { type DeliveryState, GOODPUT_REPLIES, type Phase, type Recheck, admitted, enter, floor, goodput, newPhase } from './delivery-state.js'

/**
 * Starts a drain test of `phase`. Its pace is under the goodput of the last seconds and
 * under what the phase itself got through: right after a quota fell, the last seconds still
 * hold replies from before.
 */
export function startTest(s: DeliveryState, phase: Phase, nowMs: number): void {
  // Before all its replies are back, the share over its sends (see judgeUnpaced).
  const all = phase.closed && phase.replied >= phase.sends
  const n = all ? phase.replied : phase.sends
  const share = phase.throttled / n
  const strong = share >= MAX_TEST_SHARE
  if (s.mode === 'open' && s.delivered.length < GOODPUT_REPLIES && phase.replied < phase.sends) {
    // At the start of a run, before enough answers, the test holds until the phase's calls are
    // all back and then paces at what got past the throttles in a second (a quota's burst is a
    // second of it).
    s.testOf = { share, n, goodput: 0, strong, awaiting: phase }
    enter(s, newPhase('drain', MIN_PER_SECOND, DRAIN_GAIN, nowMs))
    return
  }
  const measured = s.mode === 'open' ? openGoodput(s, phase, nowMs) : pacedGoodput(s, phase, nowMs)
  s.testOf = { share, n, goodput: measured, strong }
  // Paced, the test goes under the cruise rate, not under a goodput measured on a few replies:
  // too slow a test takes a minute to judge. A quota that fell far keeps most of the test's
  // calls throttled, and the test then halves its pace.
  const pace = s.mode === 'open' ? measured : Math.min(s.rate, Math.max(measured, s.rate * MAX_CUT))
  enter(s, newPhase('drain', Math.max(MIN_PER_SECOND, pace * DRAIN_GAIN), DRAIN_GAIN, nowMs))
}

/** What the server let through, unpaced: the run's goodput so far, or what the phase got past the throttles. */
function openGoodput(s: DeliveryState, phase: Phase, nowMs: number): number {
  return s.delivered.length >= GOODPUT_REPLIES ? goodput(s, nowMs) : Math.max(admitted(s, phase), goodput(s, nowMs))
}

/** Right after a quota fell, the last seconds still hold replies from before: the lower of the two. */
function pacedGoodput(s: DeliveryState, phase: Phase, nowMs: number): number {
  const seconds = Math.max(phase.lastSendAt - phase.startedAt, 1000 / (phase.target ?? s.rate)) / 1000
  return Math.min(goodput(s, nowMs), ((phase.sends - phase.throttled) * (1 - floor(s))) / seconds)
}

/** Sends the next calls at the pace before the test (unpaced, or R), to check `recheck` on them. */
export function startRecheck(s: DeliveryState, recheck: Recheck, nowMs: number): void {
  enter(s, newPhase('recheck', s.mode === 'open' ? undefined : s.rate, 1, nowMs))
  s.recheck = { ...recheck, phase: s.phase }
}

/** A drain test's fall held: pace at `rate` (open), or cut to it (paced). */
export function quotaFound(s: DeliveryState, rate: number, nowMs: number, strong: boolean): void {
  s.quotaSeen = rate
  // A little under the quota: at the quota itself, every burst of arrivals is throttled.
  if (s.mode === 'open') pace(s, CUT_BETA * rate, nowMs)
  else {
    s.cuts += 1
    // Cut to what got through when most calls were refused (a quota that fell far); else by
    // a fixed step: a goodput measured on a few replies is too noisy to cut to, and cuts to
    // it, one after the other, starved runs against a quota that had not moved.
    pace(s, strong ? Math.max(s.rate * MAX_CUT, Math.min(s.rate, CUT_BETA * rate)) : s.rate * SMALL_CUT, nowMs)
    s.quotaSeen = Math.min(s.quotaSeen, s.rate / CUT_BETA)
  }
}

/** The fall did not hold: the throttles were not the run's rate. */
export function notTheRate(s: DeliveryState, share: number, n: number, nowMs: number): void {
  if (s.mode === 'open') {
    s.randomShare = cautious(share, n)
    s.verdict = { kind: 'random', share: s.randomShare }
    open(s, nowMs)
  } else {
    // The floor stays the lower of this and the share at the slowest pace tried (floor()): a
    // noisy test that raised it would let the run cruise over a quota unseen.
    // Weighed like any other phase (by its calls): one test of 8 calls is too noisy to set it.
    const old = s.randomShare ?? SHARE_PRIOR
    s.randomShare = Math.max(old, old + (1 - (1 - SHARE_EWMA_PER_CALL) ** n) * (cautious(share, n) - old))
    pace(s, s.rate, nowMs)
  }
}

/** Paces at `rate` from now (a cruise phase), keeping a verdict of quota up to date. */
export function pace(s: DeliveryState, rate: number, nowMs: number): void {
  s.learned += 1
  s.mode = 'paced'
  s.rate = Math.max(MIN_PER_SECOND, rate)
  s.probeGain = PROBE_GAIN
  s.verdict = { kind: 'quota', perMinute: Math.round(s.rate * 60), share: s.randomShare ?? 0 }
  enter(s, newPhase('cruise', s.rate, 1, nowMs))
  s.cruisingSince = nowMs
}

export function open(s: DeliveryState, nowMs: number): void {
  s.mode = 'open'
  enter(s, newPhase('open', undefined, 1, nowMs))
}

/**
 * A phase judged clean refines the random share. While paced, not from a phase somewhat
 * above it: a phase a little over the quota is not clearly above the share, and taking its
 * throttles as random would raise the floor, then the quota estimated over it, then the
 * overshoot.
 */
export function learnShare(s: DeliveryState, share: number, n: number): void {
  const estimate = s.mode === 'open' ? cautious(share, n) : share
  // Weighted by calls: a phase of 3 calls moves it less than one of 20.
  const weight = 1 - (1 - SHARE_EWMA_PER_CALL) ** n
  const moved = s.randomShare === undefined ? estimate : s.randomShare + weight * (estimate - s.randomShare)
  // Not from a phase somewhat above it, but within chance of it: on 8 calls one throttle is
  // 12%, and a floor learned from the phases with none alone sinks to 0.
  if (s.mode === 'paced' && s.randomShare !== undefined) {
    const se = Math.sqrt(Math.max(s.randomShare * (1 - s.randomShare), MIN_VARIANCE) / Math.max(1, n))
    if (share > s.randomShare + Math.max(CLEAR_MARGIN / 2, LEARN_Z * se)) return
  }
  s.randomShare = moved
  if (s.verdict.kind === 'random') s.verdict = { kind: 'random', share: s.randomShare }
  else if (s.verdict.kind === 'none' && share > 0) s.verdict = { kind: 'random', share: s.randomShare }
}
