/**
 * How the learned send rate (`delivery.ts`) judges a phase once enough of its calls are back:
 * one rule for each kind of phase. A throttle comes back at once and an answer after the
 * model's time, so until a phase is all back its share is counted over its sends.
 */

import {
  CHECK_REPLIES,
  CLEAR_MARGIN,
  CUT_BETA,
  DRAIN_GAIN,
  MAX_PROBE_GAIN,
  MAX_TEST_SHARE,
  MIN_PER_SECOND,
  MOST_REFUSED,
  NEAR_QUOTA,
  PHASE_SENDS,
  PROBE_GAIN,
  PROBE_GAIN_GROWTH,
  PROBE_PASS,
  REACHED,
  SHARE_PRIOR,
  SHARE_PRIOR_CALLS,
  TEST_MAX_MS,
  TEST_MIN_REPLIES,
  TEST_REPLIES,
  Z,
  Z_TEST,
  above,
  cautious,
  pooledError,
} from './delivery-rules.js'
import { type DeliveryState, type DrainTest, type Phase, enter, floor, newPhase } from './delivery-state.js'
import { learnShare, notTheRate, open, pace, quotaFound, startRecheck, startTest } from './delivery-moves.js'

/** What came back of a phase: `n` replies, `share` of them throttled, `all` of its calls back. */
interface Tally {
  n: number
  share: number
  all: boolean
}

/** Draws a phase's verdict once enough of its calls are back. */
export function judge(s: DeliveryState, phase: Phase, nowMs: number): void {
  const n = phase.replied
  const tally: Tally = { n, share: n === 0 ? 0 : phase.throttled / n, all: phase.closed && n >= phase.sends }
  switch (phase.kind) {
    case 'open':
    case 'confirm':
    case 'cruise':
      return judgeSending(s, phase, tally, nowMs)
    case 'recheck':
      return judgeRecheck(s, phase, tally, nowMs)
    case 'drain':
      return judgeDrain(s, phase, tally, nowMs)
    case 'probe':
      return judgeProbe(s, phase, tally, nowMs)
  }
}

/**
 * An open, confirm or cruise phase. A cruise phase is checked early, so a quota that fell is
 * followed quickly; an open phase only once full: the phase that starts a test is chosen for
 * its high share, and the fewer its calls, the likelier a random run looks like a quota by
 * chance. An open phase most of whose first calls came back throttled is not waited for: it is
 * the opening burst against a quota, and its retries would come unpaced meanwhile.
 */
function judgeSending(s: DeliveryState, phase: Phase, { n, share, all }: Tally, nowMs: number): void {
  // The first replies of a phase are mostly its throttles. Before all are back, its share is
  // counted over its sends (the calls still out taken as answered), which can only be too low.
  const sure = all ? share : phase.throttled / phase.sends
  const overwhelming = n >= CHECK_REPLIES && sure >= MAX_TEST_SHARE
  const unpaced = phase.kind !== 'cruise'
  if (n < (unpaced && !overwhelming ? PHASE_SENDS : CHECK_REPLIES) && !all) return
  if (above(sure, all ? n : phase.sends, floor(s), CLEAR_MARGIN)) {
    phase.judged = true
    if (unpaced) onOpenExcess(s, phase, overwhelming, nowMs)
    else onCruiseExcess(s, phase, sure, nowMs)
    return
  }
  if (!all) return
  phase.judged = true
  // Paced, the random share is learned from rechecks only: a cruise phase is kept or
  // dropped by its own share (those over it start a recheck), and what is left of them
  // is biased low: the floor sank to 0 and every throttle looked like the quota.
  if (unpaced) learnShare(s, share, n)
}

/** A cruise phase throttled clearly above the floor. */
function onCruiseExcess(s: DeliveryState, phase: Phase, sure: number, nowMs: number): void {
  // A phase sent before the run changed course says nothing about the course it took.
  const current = s.phase.kind
  if (s.mode !== 'paced' || current === 'drain' || current === 'recheck') return
  // Most calls refused: the quota fell, test how far. Else the excess may be chance (the phase
  // is picked for it): check it on fresh calls at once, at the same pace, while the server's
  // burst is still spent (after a slower test its refill would hide an excess of a few percent).
  if (sure >= MAX_TEST_SHARE) startTest(s, phase, nowMs)
  else startRecheck(s, { share: floor(s), n: 0, rate: s.rate, verify: true }, nowMs)
}

/** An open or confirm phase throttled clearly above the floor. */
function onOpenExcess(s: DeliveryState, phase: Phase, overwhelming: boolean, nowMs: number): void {
  const current = s.phase.kind
  if (s.mode !== 'open' || (current !== 'open' && current !== 'confirm')) return
  // An open phase is picked for its high share: among many phases of random throttles one is
  // high by chance. Its excess is confirmed on a fresh phase at the same pace before the run
  // slows down, unless most of its calls were refused (a quota's burst).
  if (phase.kind === 'open' && !overwhelming) enter(s, newPhase('confirm', undefined, 1, nowMs))
  else startTest(s, phase, nowMs)
}

/** A recheck: did the share of the pace before the test come back? */
function judgeRecheck(s: DeliveryState, phase: Phase, { n, share, all }: Tally, nowMs: number): void {
  const recheck = s.recheck
  if (recheck === undefined || recheck.phase !== phase) {
    phase.judged = true
    return
  }
  if (!all) return
  phase.judged = true
  s.recheck = undefined
  if (recheck.verify) {
    if (above(share, n, floor(s), CLEAR_MARGIN)) quotaFound(s, s.rate / CUT_BETA, nowMs, false)
    else {
      learnShare(s, share, n)
      pace(s, s.rate, nowMs)
    }
    return
  }
  const se = pooledError(recheck, phase.throttled, n)
  if (share - recheck.share > Math.max(CLEAR_MARGIN, Z_TEST * se)) quotaFound(s, recheck.rate, nowMs, false)
  else notTheRate(s, Math.max(recheck.share, share), recheck.n + n, nowMs)
}

/** A drain test: did the share fall when the run slowed down? */
function judgeDrain(s: DeliveryState, phase: Phase, { n, share }: Tally, nowMs: number): void {
  const test = s.testOf
  if (test === undefined || s.phase !== phase) {
    phase.judged = true
    return
  }
  const enough = n >= TEST_REPLIES || (n >= TEST_MIN_REPLIES && n >= phase.sends && nowMs - phase.startedAt >= TEST_MAX_MS)
  if (n < TEST_MIN_REPLIES && !enough) return
  const se = pooledError(test, phase.throttled, n)
  // Paced, a fall confirms what the run already believes; open, it would start pacing a
  // run that may be losing throughput to random throttles, so it takes a full test or a
  // fall far beyond chance.
  const z = s.mode === 'open' && !enough ? Z : Z_TEST
  const fell = test.share - share > Math.max(CLEAR_MARGIN, z * se)
  if (!fell && !enough) return
  // Paced, a test still clearly above the floor has not gone under the quota either (a
  // quota that fell to a quarter leaves a test at a third of the old pace a third over it);
  // twice at most, so that random throttles that grew are not chased to a crawl. Most calls
  // still refused halves it three times at most (an eighth of the pace it started from): 60%
  // of calls throttled at random kept halving a test to 6 calls a minute and took runs 100×
  // their fault-free wall.
  const over = (share >= MAX_TEST_SHARE && phase.gain > DRAIN_GAIN / 8) || (s.mode === 'paced' && phase.gain > DRAIN_GAIN / 4 && above(share, n, floor(s), CLEAR_MARGIN))
  if (!fell && over && phase.target !== undefined && phase.target > MIN_PER_SECOND) {
    // Most calls still throttled: the test's pace was not under the quota yet (the
    // goodput it started from was measured too high). Halve it and test again.
    phase.judged = true
    s.phase = newPhase('drain', Math.max(MIN_PER_SECOND, phase.target / 2), phase.gain / 2, nowMs)
    return
  }
  phase.judged = true
  s.testOf = undefined
  concludeDrain(s, test, phase, { n, share, fell }, nowMs)
}

/** A drain test that ended: the share it measured joins the drain share, and the run paces, rechecks or opens. */
function concludeDrain(s: DeliveryState, test: DrainTest, phase: Phase, { n, share, fell }: { n: number; share: number; fell: boolean }, nowMs: number): void {
  const prior = s.randomShare ?? SHARE_PRIOR
  const measured = (phase.throttled + prior * SHARE_PRIOR_CALLS) / (n + SHARE_PRIOR_CALLS)
  s.drained.calls += n
  s.drained.throttled += phase.throttled
  s.drainShare = (s.drained.throttled + prior * SHARE_PRIOR_CALLS) / (s.drained.calls + SHARE_PRIOR_CALLS)
  if (fell) {
    // The goodput measured above the quota is what it let through, less the random share.
    const rate = test.goodput / (1 - Math.min(floor(s), measured))
    if (test.strong) {
      // Not above what was known: a test still partly over the quota (another run sending
      // too) measures more than the random share, and a floor set high hides the quota.
      s.randomShare = Math.min(measured, s.randomShare ?? SHARE_PRIOR)
      quotaFound(s, rate, nowMs, true)
    } else {
      // The phase that started the test was picked for its high share, so a fall from it
      // may be chance: the pace before the test is tried again, on fresh calls, and the
      // fall holds only if its share comes back.
      startRecheck(s, { share: measured, n, rate, verify: false }, nowMs)
    }
  } else if (s.mode === 'open' && share >= MOST_REFUSED && phase.target !== undefined) {
    // Nearly every call refused even at the slowest pace tried: another run may be spending
    // the whole quota. Unpaced with the short backoffs of random throttles, such a run sent
    // 30 calls a second into a quota of 4 and lost a third of its pages to retries that ran
    // out (simulated). It paces at the test's pace instead, and probes for room from there.
    s.randomShare = Math.min(cautious(share, n), s.randomShare ?? SHARE_PRIOR)
    pace(s, phase.target, nowMs)
  } else if (s.mode === 'open') {
    // The test's own share, not pooled with the phase that started it, chosen for being high.
    s.randomShare = cautious(share, n)
    s.verdict = { kind: 'random', share }
    open(s, nowMs)
  } else {
    // Slowing down did not lower the share: the random share was set too low. R stands.
    notTheRate(s, share, n, nowMs)
  }
}

/** A probe above R: did its extra calls come back throttled? */
function judgeProbe(s: DeliveryState, phase: Phase, { n, share, all }: Tally, nowMs: number): void {
  if (!all) return
  phase.judged = true
  if (s.mode !== 'paced') return
  const base = floor(s)
  if (phase.target !== undefined && phase.sends < (phase.target * Math.max(1, phase.lastSendAt - phase.startedAt)) / 1000 * REACHED && phase.sends < PHASE_SENDS) {
    // The run could not send at the probe's pace: something else bounds it, not a quota.
    if (!above(share, n, base, CLEAR_MARGIN)) {
      // The quota it was pacing at is gone (or was never there): throttles that are left are random.
      open(s, nowMs)
      s.verdict = { kind: 'random', share: base }
    }
    return
  }
  // If R were the quota, the probe's extra calls would come back throttled.
  const ifQuota = base + (1 - base) * (1 - 1 / phase.gain)
  // Room is taken only on a share near the floor: on 8 calls, a probe over the quota passes
  // a midway test one time in three, and each pass would leave the run cruising above it.
  if (share <= base + PROBE_PASS * (ifQuota - base)) probePassed(s, phase, share, n, nowMs)
  else {
    s.probeGain = PROBE_GAIN
    s.verdict = { kind: 'quota', perMinute: Math.round(s.rate * 60), share: base }
  }
}

/** A probe found room above R: R rises, and the next probe follows at once, a step larger. */
function probePassed(s: DeliveryState, phase: Phase, share: number, n: number, nowMs: number): void {
  const target = phase.target ?? s.rate
  if (target >= NEAR_QUOTA * s.quotaSeen) {
    // Near the quota last found, room is taken half a probe at a time: two runs sharing a quota
    // then gain alike while one of them tests, and a run does not cruise over a quota it found
    // by a probe's luck. Probes that keep passing grow (the other run has left, the quota went
    // up), from half a step.
    s.rate = Math.max(s.rate, s.rate + (target - s.rate) / 2)
    s.quotaSeen = Math.max(s.quotaSeen, s.rate)
  } else s.rate = Math.max(s.rate, target)
  s.probeGain = Math.min(MAX_PROBE_GAIN, s.probeGain * PROBE_GAIN_GROWTH)
  learnShare(s, share, n)
  if (s.verdict.kind === 'quota') s.verdict = { ...s.verdict, perMinute: Math.round(s.rate * 60) }
  // A probe that found room is followed by the next one at once: a quota that went up is found in a few of them.
  if (s.phase.kind === 'cruise') s.phase = newPhase('probe', s.rate * s.probeGain, s.probeGain, nowMs)
}
