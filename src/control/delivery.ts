/**
 * The send rate the run learns when nobody told it the quota, from what throttles do to its
 * goodput rather than from how many there are. A 429 means one of two things:
 *
 * - a quota: the server refuses what the run sends above it, so sending less lowers the share
 *   of throttled calls, and sending more adds throttles but no goodput;
 * - a random throttle (Bedrock's shared on-demand capacity, a gateway): the share is the same
 *   at every rate, and slowing down only loses throughput.
 *
 * So the controller runs experiments and compares shares, the way BBR compares delivery rates
 * (pace at the highest delivery rate measured, probe above it for short spells): every send
 * belongs to a *phase* sent at one pace, and a phase is judged by the share of its own calls
 * that came back throttled. A throttle comes back at once and an answer after the model's
 * time, so until a phase is all back its share is counted over its sends (a lower bound).
 * A phase is picked for a test because its share is high, and among many phases of random
 * throttles one is high by chance: every fall is checked on fresh calls before it counts.
 *
 * - `open`: no pacing, only `--concurrency`. A phase of 20 calls throttled clearly above the
 *   random share learned so far is `confirm`ed by the next 20 at the same pace; then a `drain`
 *   test. Most of a phase refused (a quota's opening burst) goes to the test at once, which
 *   waits for that phase's calls to come back and paces at what got past the throttles.
 * - `drain`: 0.8× the goodput measured (the run's, over its age, a second at least),
 *   halved again while most of its calls are still throttled. If the share falls clearly and
 *   the test started from a phase mostly refused, the throttles were the run's rate: it paces
 *   at 0.9× the goodput measured above the quota corrected for the random share (`paced`).
 *   A smaller fall is `recheck`ed at the pace before the test, on 16 fresh calls: it holds only
 *   if their share comes back. If it does not fall, the throttles were random: back to `open`.
 * - `paced` cruises at the rate R and, after 3 s of cruising, probes above it for at least a
 *   second (×1.25, then ×1.56, ×2 while probes keep succeeding: a quota that went up is found
 *   within a few probes; near the quota last found, a passing probe raises R by half its step).
 *   A cruise phase throttled clearly above the random share is rechecked at once at R (the
 *   server's burst still spent); one mostly refused starts a drain test under R: if the share
 *   falls, the quota went down, or another run now shares it, and R is cut (to what got
 *   through when most calls were refused, by 15% otherwise); if not, R stands and the random
 *   share was set too low. A probe is judged against the share it would have if R were the
 *   quota; a probe the pace could not reach (the run is bound by `--concurrency` or by its
 *   pages) returns to `open`, and the throttles left are called random.
 *
 * Measured in simulated time over 20 seeds (`npm run bench:rate-sim`, test/rate-sim.test.ts):
 * random throttles keep the run at 1.2× its fault-free wall (median), a storm against a quota
 * of 120 a minute stays within 110% of it in any 60 s in 19 of 20 runs. Two runs sharing a
 * quota, and a quota that changes mid-run, are not held to the targets yet.
 *
 * Pure arithmetic on the times it is given (ms), so tests drive it with fake time.
 */

import { CRUISE_MS, DRAIN_GAIN, MIN_PER_SECOND, PHASE_MIN_SENDS, PHASE_MS, PHASE_SENDS, PROBE_GAIN, PROBE_SENDS, TEST_REPLIES } from './delivery-rules.js'
import { type DeliveryState, type Phase, type RateVerdict, admitted, enter, goodput, newPhase, prune, recordDelivery } from './delivery-state.js'
import { judge } from './delivery-judge.js'
import { pace } from './delivery-moves.js'

export type { Phase, RateVerdict } from './delivery-state.js'

/** Fewest calls in flight allowed while paced. */
const MIN_IN_FLIGHT = 2
/** Ceiling of the short backoff for random throttles: about one call's time, within these bounds. */
const SHORT_BACKOFF_MIN_MS = 10
const SHORT_BACKOFF_MAX_MS = 250

export interface DeliveryOptions {
  /** `--concurrency`: what the run keeps in flight when it is not pacing. */
  maxInFlight: number
}

export class DeliveryRate {
  readonly maxInFlight: number
  readonly #s: DeliveryState

  constructor(options: DeliveryOptions, nowMs: number) {
    this.maxInFlight = options.maxInFlight
    this.#s = {
      mode: 'open',
      rate: 0,
      randomShare: undefined,
      drainShare: undefined,
      drained: { calls: 0, throttled: 0 },
      phase: newPhase('open', undefined, 1, nowMs),
      testOf: undefined,
      recheck: undefined,
      probeGain: PROBE_GAIN,
      cruisingSince: Number.NEGATIVE_INFINITY,
      delivered: [],
      latencyMs: undefined,
      verdict: { kind: 'none' },
      cuts: 0,
      quotaSeen: 0,
      startedAt: nowMs,
      learned: 0,
    }
  }

  get verdict(): RateVerdict {
    return this.#s.verdict
  }

  /** Times the rate was cut because a quota was found lower than the pace. */
  get cuts(): number {
    return this.#s.cuts
  }

  /**
   * Bumped each time the run paces at a rate of its own: a quota found, a cut. Not when a probe
   * finds room: posted, two runs' lucky probes ratchet the group's quota up (bumped there too,
   * the simulated two runs on one board kept the quota in 13 of 20 seeds, 293 requests in 60 s
   * where 264 are allowed; 20 of 20 without: `npm run bench:rate-sim -- --seeds 20 --only shared --detail`).
   */
  get learned(): number {
    return this.#s.learned
  }

  /** Sending unpaced and testing whether its throttles are a quota. */
  get testing(): boolean {
    return this.#s.mode === 'open' && this.#s.phase.kind !== 'open'
  }

  /** The rate the run cruises at while paced, per second; undefined while it sends unpaced. */
  get pacedRate(): number | undefined {
    return this.#s.mode === 'paced' ? this.#s.rate : undefined
  }

  /**
   * Paces at `rate`, this run's share of a quota learned together with other runs (peers.ts):
   * any test under way is dropped, and the run goes on probing from there. Not counted as
   * learned, so it is not posted back as news.
   */
  share(rate: number, nowMs: number): void {
    const s = this.#s
    if (s.mode === 'paced' && Math.abs(rate - s.rate) <= 0.01 * s.rate) return
    s.testOf = undefined
    s.recheck = undefined
    const learned = s.learned
    pace(s, rate, nowMs)
    s.learned = learned
  }

  /** Requests per second allowed now; undefined: no pacing. */
  perSecond(nowMs: number): number | undefined {
    this.#roll(nowMs)
    return this.#s.phase.target
  }

  /**
   * Calls allowed in flight. `--concurrency` unless paced; paced, twice what the pace keeps in
   * flight at the measured latency (BBR's two bandwidth-delay products), so that a provider
   * that limits calls in flight rather than per minute is not flooded when replies come in
   * together, and never under `MIN_IN_FLIGHT`.
   */
  inFlightLimit(): number {
    const s = this.#s
    if (s.mode === 'open' || s.latencyMs === undefined) return this.maxInFlight
    const target = s.phase.target ?? s.rate
    return Math.min(this.maxInFlight, Math.max(MIN_IN_FLIGHT, Math.ceil((2 * target * s.latencyMs) / 1000)))
  }

  /**
   * How long a retry of a throttled call should wait at most (the ceiling of its full-jitter
   * backoff), or undefined for the retry policy's own: while throttles look random and the
   * run is not pacing, a throttled call is no sign the server needs rest; one call's time is
   * enough to spread retries.
   */
  throttleBackoffMs(): number | undefined {
    if (this.#s.mode !== 'open' || this.#s.verdict.kind !== 'random') return undefined
    return Math.min(SHORT_BACKOFF_MAX_MS, Math.max(SHORT_BACKOFF_MIN_MS, this.#s.latencyMs ?? SHORT_BACKOFF_MAX_MS))
  }

  /** Whether a throttle's Retry-After should hold every call: not while throttles look random. */
  get holdsForRetryAfter(): boolean {
    return !(this.#s.mode === 'open' && this.#s.verdict.kind === 'random')
  }

  /** A call is sent at `nowMs`; the phase it joins is passed back with its reply. */
  onSend(nowMs: number): Phase {
    this.#roll(nowMs)
    const phase = this.#s.phase
    phase.sends += 1
    phase.lastSendAt = nowMs
    return phase
  }

  /** A call of `phase` sent at `sentAt` came back at `nowMs`; `throttled`: a 429 or quota error. */
  onReply(phase: Phase, sentAt: number, nowMs: number, throttled: boolean): void {
    const s = this.#s
    phase.replied += 1
    if (throttled) phase.throttled += 1
    else recordDelivery(s, nowMs, nowMs - sentAt)
    prune(s, nowMs)
    const test = s.testOf
    if (test?.awaiting === phase && phase.replied >= phase.sends && s.phase.kind === 'drain') {
      // The phase that started the test is all back: the test paces at what it got through.
      test.awaiting = undefined
      test.share = phase.throttled / phase.replied
      test.n = phase.replied
      test.goodput = Math.max(admitted(s, phase), goodput(s, nowMs))
      enter(s, newPhase('drain', Math.max(MIN_PER_SECOND, test.goodput * DRAIN_GAIN), DRAIN_GAIN, nowMs))
    }
    if (!phase.judged) judge(s, phase, nowMs)
  }

  /** A call of `phase` ended without a reply that says anything about the server (cancelled). */
  onAbandon(phase: Phase): void {
    phase.sends = Math.max(phase.replied, phase.sends - 1)
  }

  /**
   * Non-throttled replies per second: over the last `GOODPUT_WINDOW_MS`, or over the last
   * `GOODPUT_REPLIES` of them when that window holds fewer (see `delivery-state.ts`).
   */
  goodput(nowMs: number): number {
    return goodput(this.#s, nowMs)
  }

  /** Closes the current phase when it is full, and opens the next one in the plan. */
  #roll(nowMs: number): void {
    const s = this.#s
    const phase = s.phase
    // A drain test is one phase: it keeps its pace until it is judged.
    if (phase.kind === 'drain' || !isFull(phase, nowMs)) return
    phase.closed = true
    // Its last reply may have come before it closed: judge it now, or it would wait for none.
    if (!phase.judged && phase.replied >= phase.sends) judge(s, phase, nowMs)
    if (s.phase !== phase) return
    s.phase = nextPhase(s, phase, nowMs)
  }
}

/** Whether `phase` has all the calls its kind sends (a drain test never fills: it ends when judged). */
function isFull(phase: Phase, nowMs: number): boolean {
  const age = nowMs - phase.startedAt
  switch (phase.kind) {
    case 'probe':
      // A probe needs enough calls to tell its share from the quota's, and at least a second of
      // them: a server's bucket holds about a second of quota, and a shorter probe would be let
      // through by the burst alone. A pace the run cannot reach ends it too.
      return (phase.sends >= PROBE_SENDS && age >= PHASE_MS) || age >= Math.max(PHASE_MS, (PROBE_SENDS * 2000) / (phase.target ?? 1))
    case 'recheck':
      // A recheck decides between a cut and none: as many calls as the test it checks.
      return phase.sends >= TEST_REPLIES
    default:
      return phase.sends >= PHASE_SENDS || (phase.sends >= PHASE_MIN_SENDS && age >= PHASE_MS)
  }
}

/** The phase that follows a full one in the plan: open after open, cruise until a probe is due, cruise after a probe. */
function nextPhase(s: DeliveryState, full: Phase, nowMs: number): Phase {
  switch (full.kind) {
    case 'recheck':
      if (s.mode === 'open') return newPhase('open', undefined, 1, nowMs)
      s.cruisingSince = nowMs
      return newPhase('cruise', s.rate, 1, nowMs)
    case 'cruise':
      if (nowMs - s.cruisingSince < CRUISE_MS) return newPhase('cruise', s.rate, 1, nowMs)
      return newPhase('probe', s.rate * s.probeGain, s.probeGain, nowMs)
    case 'probe':
      s.cruisingSince = nowMs
      return newPhase('cruise', s.rate, 1, nowMs)
    default:
      return newPhase('open', undefined, 1, nowMs)
  }
}
