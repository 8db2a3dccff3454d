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

export type RateVerdict =
  /** No throttles yet, or too few to judge. */
  | { kind: 'none' }
  /** Throttles came at `share` of calls whatever the rate: the run keeps `--concurrency` in flight. */
  | { kind: 'random'; share: number }
  /** Throttles rose with the rate: a quota near `perMinute` requests a minute. */
  | { kind: 'quota'; perMinute: number; share: number }

export interface DeliveryOptions {
  /** `--concurrency`: what the run keeps in flight when it is not pacing. */
  maxInFlight: number
}

/**
 * A fall to check again at the pace before its test (`verify`: an excess seen while paced, to
 * check at once): the share it is compared with, on how many calls, and the rate it would set.
 */
interface Recheck {
  share: number
  n: number
  rate: number
  verify: boolean
  phase?: Phase
}

type PhaseKind = 'open' | 'confirm' | 'drain' | 'recheck' | 'cruise' | 'probe'

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

export class DeliveryRate {
  readonly maxInFlight: number
  #mode: 'open' | 'paced' = 'open'
  /** R: the cruise rate per second, while paced. */
  #rate = 0
  /** The share of calls throttled at random, learned from phases judged clean; undefined until known. */
  #randomShare: number | undefined
  /**
   * The share measured by drain tests, pooled over all of them (calls and throttles summed):
   * paced, the floor is the lower of the two. Pooled, not the lowest: one lucky test of 16
   * calls with no throttle would pin the floor near 0, and every cruise phase after it would
   * look over the quota.
   */
  #drainShare: number | undefined
  readonly #drained = { calls: 0, throttled: 0 }
  #phase: Phase
  /** The phase that triggered the current drain test. */
  #testOf: { share: number; n: number; goodput: number; strong: boolean; awaiting?: Phase } | undefined
  /** A drain test whose fall is checked again at the pace before it: what it measured, and the rate it would set. */
  #recheck: Recheck | undefined
  #probeGain = PROBE_GAIN
  /** When the run last went back to cruising after a probe. */
  #cruisingSince = Number.NEGATIVE_INFINITY
  /** Times of replies that were not throttled, for goodput over the last `GOODPUT_WINDOW_MS`. */
  readonly #delivered: number[] = []
  /** Mean latency of replies, ms (EWMA); undefined before the first. */
  #latencyMs: number | undefined
  #verdict: RateVerdict = { kind: 'none' }
  #cuts = 0
  /** The rate at which the quota was last found (what got through, over the random share), per second. */
  #quotaSeen = 0
  /** When the run began: goodput over a run younger than its window is measured over the run's age. */
  readonly #startedAt: number

  constructor(options: DeliveryOptions, nowMs: number) {
    this.maxInFlight = options.maxInFlight
    this.#startedAt = nowMs
    this.#phase = newPhase('open', undefined, 1, nowMs)
  }

  get verdict(): RateVerdict {
    return this.#verdict
  }

  /** Times the rate was cut because a quota was found lower than the pace. */
  get cuts(): number {
    return this.#cuts
  }

  /** Requests per second allowed now; undefined: no pacing. */
  perSecond(nowMs: number): number | undefined {
    this.#roll(nowMs)
    return this.#phase.target
  }

  /**
   * Calls allowed in flight. `--concurrency` unless paced; paced, twice what the pace keeps in
   * flight at the measured latency (BBR's two bandwidth-delay products), so that a provider
   * that limits calls in flight rather than per minute is not flooded when replies come in
   * together, and never under `MIN_IN_FLIGHT`.
   */
  inFlightLimit(): number {
    if (this.#mode === 'open' || this.#latencyMs === undefined) return this.maxInFlight
    const target = this.#phase.target ?? this.#rate
    return Math.min(this.maxInFlight, Math.max(MIN_IN_FLIGHT, Math.ceil((2 * target * this.#latencyMs) / 1000)))
  }

  /**
   * How long a retry of a throttled call should wait at most (the ceiling of its full-jitter
   * backoff), or undefined for the retry policy's own: while throttles look random and the
   * run is not pacing, a throttled call is no sign the server needs rest; one call's time is
   * enough to spread retries.
   */
  throttleBackoffMs(): number | undefined {
    if (this.#mode !== 'open' || this.#verdict.kind !== 'random') return undefined
    return Math.min(SHORT_BACKOFF_MAX_MS, Math.max(SHORT_BACKOFF_MIN_MS, this.#latencyMs ?? SHORT_BACKOFF_MAX_MS))
  }

  /** Whether a throttle's Retry-After should hold every call: not while throttles look random. */
  get holdsForRetryAfter(): boolean {
    return !(this.#mode === 'open' && this.#verdict.kind === 'random')
  }

  /** A call is sent at `nowMs`; the phase it joins is passed back with its reply. */
  onSend(nowMs: number): Phase {
    this.#roll(nowMs)
    const phase = this.#phase
    phase.sends += 1
    phase.lastSendAt = nowMs
    return phase
  }

  /** A call of `phase` sent at `sentAt` came back at `nowMs`; `throttled`: a 429 or quota error. */
  onReply(phase: Phase, sentAt: number, nowMs: number, throttled: boolean): void {
    phase.replied += 1
    if (throttled) phase.throttled += 1
    else {
      this.#delivered.push(nowMs)
      const latency = nowMs - sentAt
      this.#latencyMs = this.#latencyMs === undefined ? latency : this.#latencyMs + LATENCY_EWMA * (latency - this.#latencyMs)
    }
    this.#prune(nowMs)
    const test = this.#testOf
    if (test?.awaiting === phase && phase.replied >= phase.sends && this.#phase.kind === 'drain') {
      // The phase that started the test is all back: the test paces at what it got through.
      test.awaiting = undefined
      test.share = phase.throttled / phase.replied
      test.n = phase.replied
      test.goodput = Math.max(this.#admitted(phase), this.goodput(nowMs))
      this.#phase.closed = true
      this.#phase = newPhase('drain', Math.max(MIN_PER_SECOND, test.goodput * DRAIN_GAIN), DRAIN_GAIN, nowMs)
    }
    if (!phase.judged) this.#judge(phase, nowMs)
  }

  /** Calls of `phase` that got past the throttles, per second of it (a second at least), less the random share. */
  #admitted(phase: Phase): number {
    // One call at least: a burst all of whose calls were refused by chance (the quota's own burst
    // taken by the random share) says the quota is small, not that it is 0; a test at 0.1 a second took a minute.
    return (Math.max(1, phase.replied - phase.throttled) * (1 - this.#floor())) / (Math.max(PHASE_MS, phase.lastSendAt - phase.startedAt) / 1000)
  }

  /** A call of `phase` ended without a reply that says anything about the server (cancelled). */
  onAbandon(phase: Phase): void {
    phase.sends = Math.max(phase.replied, phase.sends - 1)
  }

  /**
   * Non-throttled replies per second: over the last `GOODPUT_WINDOW_MS`, or over the last
   * `GOODPUT_REPLIES` of them when that window holds fewer (a quota of a few a minute would
   * otherwise measure 0 in two seconds).
   */
  goodput(nowMs: number): number {
    this.#prune(nowMs)
    const times = this.#delivered
    const recent = times.length - lowerBound(times, nowMs - GOODPUT_WINDOW_MS)
    // A run younger than the window has delivered over its age only; but over a second at
    // least, or a quota's burst (a second of it, spent at once) would look like its rate.
    const span = Math.min(GOODPUT_WINDOW_MS, Math.max(nowMs - this.#startedAt, PHASE_MS))
    if (recent >= GOODPUT_REPLIES || times.length <= recent) return recent / (span / 1000)
    const count = Math.min(GOODPUT_REPLIES, times.length)
    const since = times[times.length - count]!
    return count / (Math.max(GOODPUT_WINDOW_MS, nowMs - since) / 1000)
  }

  /** Closes the current phase when it is full, and opens the next one in the plan. */
  #roll(nowMs: number): void {
    const phase = this.#phase
    // A drain test is one phase: it keeps its pace until it is judged.
    if (phase.kind === 'drain') return
    const full =
      phase.kind === 'probe'
        ? // A probe needs enough calls to tell its share from the quota's; a pace the run cannot reach ends it too.
          // and at least a second of them: a server's bucket holds about a second of quota, and
          // a shorter probe would be let through by the burst alone.
          (phase.sends >= PROBE_SENDS && nowMs - phase.startedAt >= PHASE_MS) ||
          nowMs - phase.startedAt >= Math.max(PHASE_MS, (PROBE_SENDS * 2000) / (phase.target ?? 1))
        : phase.kind === 'recheck'
          ? // A recheck decides between a cut and none: as many calls as the test it checks.
            phase.sends >= TEST_REPLIES
          : phase.sends >= PHASE_SENDS || (phase.sends >= PHASE_MIN_SENDS && nowMs - phase.startedAt >= PHASE_MS)
    if (!full) return
    phase.closed = true
    // Its last reply may have come before it closed: judge it now, or it would wait for none.
    if (!phase.judged && phase.replied >= phase.sends) this.#judge(phase, nowMs)
    if (this.#phase !== phase) return
    switch (phase.kind) {
      case 'open':
      case 'confirm':
        this.#phase = newPhase('open', undefined, 1, nowMs)
        return
      case 'recheck':
        this.#phase = this.#mode === 'open' ? newPhase('open', undefined, 1, nowMs) : newPhase('cruise', this.#rate, 1, nowMs)
        if (this.#mode === 'paced') this.#cruisingSince = nowMs
        return
      case 'cruise':
        if (nowMs - this.#cruisingSince < CRUISE_MS) this.#phase = newPhase('cruise', this.#rate, 1, nowMs)
        else this.#phase = newPhase('probe', this.#rate * this.#probeGain, this.#probeGain, nowMs)
        return
      case 'probe':
        this.#cruisingSince = nowMs
        this.#phase = newPhase('cruise', this.#rate, 1, nowMs)
        return
    }
  }

  /** Draws a phase's verdict once enough of its calls are back. */
  #judge(phase: Phase, nowMs: number): void {
    const n = phase.replied
    const all = phase.closed && n >= phase.sends
    const share = n === 0 ? 0 : phase.throttled / n
    const floor = this.#floor()
    switch (phase.kind) {
      case 'open':
      case 'confirm':
      case 'cruise': {
        // A cruise phase is checked early, so a quota that fell is followed quickly; an open
        // phase only once full: the phase that starts a test is chosen for its high share, and
        // the fewer its calls, the likelier a random run looks like a quota by chance.
        // An open phase most of whose first calls came back throttled is not waited for: it is
        // the opening burst against a quota, and its retries would come unpaced meanwhile.
        // A throttle comes back at once and an answer after the model's time: the first replies
        // of a phase are mostly its throttles. Before all are back, its share is counted over
        // its sends (the calls still out taken as answered), which can only be too low.
        const sure = all ? share : phase.throttled / phase.sends
        const overwhelming = n >= CHECK_REPLIES && sure >= MAX_TEST_SHARE
        const unpaced = phase.kind !== 'cruise'
        if (n < (unpaced && !overwhelming ? PHASE_SENDS : CHECK_REPLIES) && !all) return
        if (above(sure, all ? n : phase.sends, floor, CLEAR_MARGIN)) {
          phase.judged = true
          // A phase sent before the run changed course says nothing about the course it took.
          const current = this.#phase.kind
          if (!unpaced) {
            if (this.#mode === 'paced' && current !== 'drain' && current !== 'recheck') {
              // Most calls refused: the quota fell, test how far. Else the excess may be chance
              // (the phase is picked for it): check it on fresh calls at once, at the same pace,
              // while the server's burst is still spent (after a slower test its refill would
              // hide an excess of a few percent).
              if (sure >= MAX_TEST_SHARE) this.#startTest(phase, nowMs)
              else this.#startRecheck({ share: floor, n: 0, rate: this.#rate, verify: true }, nowMs)
            }
          } else if (this.#mode === 'open' && (current === 'open' || current === 'confirm')) {
            // An open phase is picked for its high share: among many phases of random throttles
            // one is high by chance. Its excess is confirmed on a fresh phase at the same pace
            // before the run slows down, unless most of its calls were refused (a quota's burst).
            if (phase.kind === 'open' && !overwhelming) {
              this.#phase.closed = true
              this.#phase = newPhase('confirm', undefined, 1, nowMs)
            } else this.#startTest(phase, nowMs)
          }
          return
        }
        if (!all) return
        phase.judged = true
        // Paced, the random share is learned from rechecks only: a cruise phase is kept or
        // dropped by its own share (those over it start a recheck), and what is left of them
        // is biased low: the floor sank to 0 and every throttle looked like the quota.
        if (unpaced) this.#learnShare(share, n)
        return
      }
      case 'recheck': {
        const recheck = this.#recheck
        if (recheck === undefined || recheck.phase !== phase) {
          phase.judged = true
          return
        }
        if (!all) return
        phase.judged = true
        this.#recheck = undefined
        if (recheck.verify) {
          if (above(share, n, floor, CLEAR_MARGIN)) this.#quotaFound(this.#rate / CUT_BETA, nowMs, false)
          else {
            this.#learnShare(share, n)
            this.#pace(this.#rate, nowMs)
          }
          return
        }
        const pooled = (recheck.share * recheck.n + phase.throttled) / (recheck.n + n)
        const se = Math.sqrt(Math.max(pooled * (1 - pooled), MIN_VARIANCE) * (1 / recheck.n + 1 / Math.max(1, n)))
        if (share - recheck.share > Math.max(CLEAR_MARGIN, Z_TEST * se)) this.#quotaFound(recheck.rate, nowMs, false)
        else this.#notTheRate(Math.max(recheck.share, share), recheck.n + n, nowMs)
        return
      }
      case 'drain': {
        const test = this.#testOf
        if (test === undefined || this.#phase !== phase) {
          phase.judged = true
          return
        }
        const enough = n >= TEST_REPLIES || (n >= TEST_MIN_REPLIES && n >= phase.sends && nowMs - phase.startedAt >= TEST_MAX_MS)
        if (n < TEST_MIN_REPLIES && !enough) return
        const pooled = (test.share * test.n + phase.throttled) / (test.n + n)
        const se = Math.sqrt(Math.max(pooled * (1 - pooled), MIN_VARIANCE) * (1 / test.n + 1 / Math.max(1, n)))
        // Paced, a fall confirms what the run already believes; open, it would start pacing a
        // run that may be losing throughput to random throttles, so it takes a full test or a
        // fall far beyond chance.
        const z = this.#mode === 'open' && !enough ? Z : Z_TEST
        const fell = test.share - share > Math.max(CLEAR_MARGIN, z * se)
        if (!fell && !enough) return
        // Paced, a test still clearly above the floor has not gone under the quota either (a
        // quota that fell to a quarter leaves a test at a third of the old pace a third over it);
        // twice at most, so that random throttles that grew are not chased to a crawl.
        const over = share >= MAX_TEST_SHARE || (this.#mode === 'paced' && phase.gain > DRAIN_GAIN / 4 && above(share, n, this.#floor(), CLEAR_MARGIN))
        if (!fell && over && phase.target !== undefined && phase.target > MIN_PER_SECOND) {
          // Most calls still throttled: the test's pace was not under the quota yet (the
          // goodput it started from was measured too high). Halve it and test again.
          phase.judged = true
          this.#phase = newPhase('drain', Math.max(MIN_PER_SECOND, phase.target / 2), phase.gain / 2, nowMs)
          return
        }
        phase.judged = true
        this.#testOf = undefined
        const prior = this.#randomShare ?? SHARE_PRIOR
        const measured = (phase.throttled + prior * SHARE_PRIOR_CALLS) / (n + SHARE_PRIOR_CALLS)
        this.#drained.calls += n
        this.#drained.throttled += phase.throttled
        this.#drainShare = (this.#drained.throttled + prior * SHARE_PRIOR_CALLS) / (this.#drained.calls + SHARE_PRIOR_CALLS)
        if (fell) {
          // The goodput measured above the quota is what it let through, less the random share.
          const rate = test.goodput / (1 - Math.min(this.#floor(), measured))
          if (test.strong) {
            // Not above what was known: a test still partly over the quota (another run sending
            // too) measures more than the random share, and a floor set high hides the quota.
            this.#randomShare = Math.min(measured, this.#randomShare ?? SHARE_PRIOR)
            this.#quotaFound(rate, nowMs, true)
          } else {
            // The phase that started the test was picked for its high share, so a fall from it
            // may be chance: the pace before the test is tried again, on fresh calls, and the
            // fall holds only if its share comes back.
            this.#startRecheck({ share: measured, n, rate, verify: false }, nowMs)
          }
        } else if (this.#mode === 'open') {
          // The test's own share, not pooled with the phase that started it, chosen for being high.
          this.#randomShare = cautious(share, n)
          this.#verdict = { kind: 'random', share }
          this.#open(nowMs)
        } else {
          // Slowing down did not lower the share: the random share was set too low. R stands.
          this.#notTheRate(share, n, nowMs)
        }
        return
      }
      case 'probe': {
        if (!all) return
        phase.judged = true
        if (this.#mode !== 'paced') return
        if (phase.target !== undefined && phase.sends < (phase.target * Math.max(1, phase.lastSendAt - phase.startedAt)) / 1000 * REACHED && phase.sends < PHASE_SENDS) {
          // The run could not send at the probe's pace: something else bounds it, not a quota.
          if (!above(share, n, floor, CLEAR_MARGIN)) {
            // The quota it was pacing at is gone (or was never there): throttles that are left are random.
            this.#open(nowMs)
            this.#verdict = { kind: 'random', share: floor }
          }
          return
        }
        // If R were the quota, the probe's extra calls would come back throttled.
        const ifQuota = floor + (1 - floor) * (1 - 1 / phase.gain)
        // Room is taken only on a share near the floor: on 8 calls, a probe over the quota passes
        // a midway test one time in three, and each pass would leave the run cruising above it.
        if (share <= floor + PROBE_PASS * (ifQuota - floor)) {
          const target = phase.target ?? this.#rate
          if (target >= NEAR_QUOTA * this.#quotaSeen) {
            // Near the quota last found, room is taken half a probe at a time: two runs sharing a quota then gain alike while one of them tests, and a run
            // does not cruise over a quota it found by a probe's luck.
            // Probes that keep passing grow (the other run has left, the quota went up), from half a step.
            this.#rate = Math.max(this.#rate, this.#rate + (target - this.#rate) / 2)
            this.#quotaSeen = Math.max(this.#quotaSeen, this.#rate)
            this.#probeGain = Math.min(MAX_PROBE_GAIN, this.#probeGain * PROBE_GAIN_GROWTH)
          } else {
            this.#rate = Math.max(this.#rate, target)
            this.#probeGain = Math.min(MAX_PROBE_GAIN, this.#probeGain * PROBE_GAIN_GROWTH)
          }
          this.#learnShare(share, n)
          if (this.#verdict.kind === 'quota') this.#verdict = { ...this.#verdict, perMinute: Math.round(this.#rate * 60) }
          // A probe that found room is followed by the next one at once: a quota that went up is found in a few of them.
          if (this.#phase.kind === 'cruise') this.#phase = newPhase('probe', this.#rate * this.#probeGain, this.#probeGain, nowMs)
        } else {
          this.#probeGain = PROBE_GAIN
          this.#verdict = { kind: 'quota', perMinute: Math.round(this.#rate * 60), share: floor }
        }
        return
      }
    }
  }

  /**
   * Starts a drain test of `phase`. Its pace is under the goodput of the last seconds and
   * under what the phase itself got through: right after a quota fell, the last seconds still
   * hold replies from before.
   */
  #startTest(phase: Phase, nowMs: number): void {
    // Before all its replies are back, the share over its sends (see #judge).
    const all = phase.closed && phase.replied >= phase.sends
    const n = all ? phase.replied : phase.sends
    const share = phase.throttled / n
    let goodput: number
    if (this.#mode === 'open') {
      // What the server let through: the run's goodput so far. At the start of a run, before
      // enough answers, the test holds until the phase's calls are all back and then paces at
      // what got past the throttles in a second (a quota's burst is a second of it).
      if (this.#delivered.length < GOODPUT_REPLIES && phase.replied < phase.sends) {
        this.#testOf = { share, n, goodput: 0, strong: share >= MAX_TEST_SHARE, awaiting: phase }
        this.#phase.closed = true
        this.#phase = newPhase('drain', MIN_PER_SECOND, DRAIN_GAIN, nowMs)
        return
      }
      goodput = this.#delivered.length >= GOODPUT_REPLIES ? this.goodput(nowMs) : Math.max(this.#admitted(phase), this.goodput(nowMs))
    } else {
      // Right after a quota fell, the last seconds still hold replies from before: the lower of the two.
      const seconds = Math.max(phase.lastSendAt - phase.startedAt, 1000 / (phase.target ?? this.#rate)) / 1000
      goodput = Math.min(this.goodput(nowMs), ((phase.sends - phase.throttled) * (1 - this.#floor())) / seconds)
    }
    this.#testOf = { share, n, goodput, strong: share >= MAX_TEST_SHARE }
    this.#phase.closed = true
    // Paced, the test goes under the cruise rate, not under a goodput measured on a few replies:
    // too slow a test takes a minute to judge. A quota that fell far keeps most of the test's
    // calls throttled, and the test then halves its pace.
    const pace = this.#mode === 'open' ? goodput : Math.min(this.#rate, Math.max(goodput, this.#rate * MAX_CUT))
    this.#phase = newPhase('drain', Math.max(MIN_PER_SECOND, pace * DRAIN_GAIN), DRAIN_GAIN, nowMs)
  }

  /** Sends the next calls at the pace before the test (unpaced, or R), to check `recheck` on them. */
  #startRecheck(recheck: Recheck, nowMs: number): void {
    this.#phase.closed = true
    this.#phase = newPhase('recheck', this.#mode === 'open' ? undefined : this.#rate, 1, nowMs)
    this.#recheck = { ...recheck, phase: this.#phase }
  }

  /** A drain test's fall held: pace at `rate` (open), or cut to it (paced). */
  #quotaFound(rate: number, nowMs: number, strong: boolean): void {
    this.#quotaSeen = rate
    // A little under the quota: at the quota itself, every burst of arrivals is throttled.
    if (this.#mode === 'open') this.#pace(CUT_BETA * rate, nowMs)
    else {
      this.#cuts += 1
      // Cut to what got through when most calls were refused (a quota that fell far); else by
      // a fixed step: a goodput measured on a few replies is too noisy to cut to, and cuts to
      // it, one after the other, starved runs against a quota that had not moved.
      this.#pace(strong ? Math.max(this.#rate * MAX_CUT, Math.min(this.#rate, CUT_BETA * rate)) : this.#rate * SMALL_CUT, nowMs)
      this.#quotaSeen = Math.min(this.#quotaSeen, this.#rate / CUT_BETA)
    }
  }

  /** The fall did not hold: the throttles were not the run's rate. */
  #notTheRate(share: number, n: number, nowMs: number): void {
    if (this.#mode === 'open') {
      this.#randomShare = cautious(share, n)
      this.#verdict = { kind: 'random', share: this.#randomShare }
      this.#open(nowMs)
    } else {
      // The floor stays the lower of this and the share at the slowest pace tried (#floor): a
      // noisy test that raised it would let the run cruise over a quota unseen.
      // Weighed like any other phase (by its calls): one test of 8 calls is too noisy to set it.
      const old = this.#randomShare ?? SHARE_PRIOR
      this.#randomShare = Math.max(old, old + (1 - (1 - SHARE_EWMA_PER_CALL) ** n) * (cautious(share, n) - old))
      this.#pace(this.#rate, nowMs)
    }
  }

  /**
   * The random share throttles are judged against. Paced, the lower of the one learned and
   * the one measured at the lowest pace tried: a floor set too high makes a quota look larger
   * than it is (the pace is the goodput over one minus the floor) and lets probes over it pass.
   */
  #floor(): number {
    const share = this.#randomShare ?? 0
    return this.#mode === 'paced' && this.#drainShare !== undefined ? Math.min(share, this.#drainShare) : share
  }

  /** Paces at `rate` from now (a cruise phase), keeping a verdict of quota up to date. */
  #pace(rate: number, nowMs: number): void {
    this.#mode = 'paced'
    this.#rate = Math.max(MIN_PER_SECOND, rate)
    this.#probeGain = PROBE_GAIN
    this.#verdict = { kind: 'quota', perMinute: Math.round(this.#rate * 60), share: this.#randomShare ?? 0 }
    this.#phase.closed = true
    this.#phase = newPhase('cruise', this.#rate, 1, nowMs)
    this.#cruisingSince = nowMs
  }

  #open(nowMs: number): void {
    this.#mode = 'open'
    this.#phase.closed = true
    this.#phase = newPhase('open', undefined, 1, nowMs)
  }

  /**
   * A phase judged clean refines the random share. While paced, not from a phase somewhat
   * above it: a phase a little over the quota is not clearly above the share, and taking its
   * throttles as random would raise the floor, then the quota estimated over it, then the
   * overshoot.
   */
  #learnShare(share: number, n: number): void {
    const estimate = this.#mode === 'open' ? cautious(share, n) : share
    // Weighted by calls: a phase of 3 calls moves it less than one of 20.
    const weight = 1 - (1 - SHARE_EWMA_PER_CALL) ** n
    const moved = this.#randomShare === undefined ? estimate : this.#randomShare + weight * (estimate - this.#randomShare)
    // Not from a phase somewhat above it, but within chance of it: on 8 calls one throttle is
    // 12%, and a floor learned from the phases with none alone sinks to 0.
    if (this.#mode === 'paced' && this.#randomShare !== undefined) {
      const se = Math.sqrt(Math.max(this.#randomShare * (1 - this.#randomShare), MIN_VARIANCE) / Math.max(1, n))
      if (share > this.#randomShare + Math.max(CLEAR_MARGIN / 2, LEARN_Z * se)) return
    }
    this.#randomShare = moved
    if (this.#verdict.kind === 'random') this.#verdict = { kind: 'random', share: this.#randomShare }
    else if (this.#verdict.kind === 'none' && share > 0) this.#verdict = { kind: 'random', share: this.#randomShare }
  }

  #prune(nowMs: number): void {
    const since = nowMs - GOODPUT_HISTORY_MS
    let drop = 0
    while (drop < this.#delivered.length && this.#delivered[drop]! < since) drop++
    if (drop > 0) this.#delivered.splice(0, drop)
  }
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

function newPhase(kind: PhaseKind, target: number | undefined, gain: number, nowMs: number): Phase {
  return { kind, target, gain, startedAt: nowMs, lastSendAt: nowMs, sends: 0, replied: 0, throttled: 0, closed: false, judged: false }
}

/** Whether `share` of `n` calls is clearly above `floor`: by `margin` and by `Z` standard errors. */
function above(share: number, n: number, floor: number, margin: number): boolean {
  const se = Math.sqrt(Math.max(floor * (1 - floor), MIN_VARIANCE) / Math.max(1, n))
  return share - floor > Math.max(margin, Z * se)
}

/** A share measured on `n` calls, nudged up by half a standard error: a floor set too low turns random throttles into quota cuts. */
function cautious(share: number, n: number): number {
  return Math.min(MAX_RANDOM_SHARE, share + 0.5 * Math.sqrt(Math.max(share * (1 - share), MIN_VARIANCE) / Math.max(1, n)))
}

/** Sends a phase holds before the next one starts. */
const PHASE_SENDS = 20
/** A phase also ends after this long, with at least `PHASE_MIN_SENDS`: slow quotas are probed every second or so, not every 20 calls. */
const PHASE_MS = 1000 // 1 s
const PHASE_MIN_SENDS = 3
/** Replies before a phase is first checked for throttles clearly above the random share. */
const CHECK_REPLIES = 8
/** Replies a drain test needs to call throttles random; a clear fall is accepted from `TEST_MIN_REPLIES`. */
const TEST_REPLIES = 16
const TEST_MIN_REPLIES = 6
/** A drain test whose pace leaves few calls is judged on what came back after this long. */
const TEST_MAX_MS = 10 * 1000 // 10 s
/** Calls a probe sends at least: at a share of 20% random throttles, 8 calls tell R × 1.25 under the quota from over it most of the time. */
const PROBE_SENDS = 8
/** Time at the pace between two probes, while probes fail (BBR probes one round trip in eight). */
const CRUISE_MS = 3 * 1000 // 3 s
/**
 * Share of the goodput a drain test sends at: under what got through, so under any quota (the
 * goodput is what the quota let through, less the random share), and slower than the run was
 * sending in any case.
 */
const DRAIN_GAIN = 0.8
/** First probe above R, and its growth while probes succeed, up to `MAX_PROBE_GAIN`. */
const PROBE_GAIN = 1.25
const PROBE_GAIN_GROWTH = 1.25
const MAX_PROBE_GAIN = 2
/** A probe passes when its share is under the floor plus this share of the way to what R as the quota would give. */
const PROBE_PASS = 0.3
/** A probe this close to the quota last found, or above it, raises the rate by half its gain only. */
const NEAR_QUOTA = 0.9
/** A probe that sent under this share of its pace was not bound by the pace. */
const REACHED = 0.7
/** R after a cut, as a share of the goodput then measured over its random share: a little under, so that the quota's bucket refills. */
const CUT_BETA = 0.9
/** A cut on a modest excess of throttles: R × this. */
const SMALL_CUT = 0.85
/** Never below this share of R in one cut: a goodput measured on a few replies can be far too low. */
const MAX_CUT = 0.5
/** Smallest difference of shares taken as a change (with `Z` standard errors). */
const CLEAR_MARGIN = 0.1
const Z = 2.5
/** Standard errors by which a drain test's share must fall: less than `Z`, since a test that fails is repeated at the next clear excess. */
const Z_TEST = 2
/** Standard errors over the random share a paced phase may be and still refine it. */
const LEARN_Z = 1
/** Variance floor of a share near 0 or 1, so that a handful of calls is never certain. */
const MIN_VARIANCE = 0.02
/** A random share above this is a server that refuses most calls: no rate helps, and none is taken for "random". */
const MAX_RANDOM_SHARE = 0.9
/** A drain test whose own share stays this high has not gone under the quota yet: it slows down further rather than call the throttles random. */
const MAX_TEST_SHARE = 0.5
/**
 * The random share a drain test starts from, as if `SHARE_PRIOR_CALLS` calls had shown
 * `SHARE_PRIOR`: a test of 6 calls that met no throttle must not set it to 0, or every random
 * throttle after it reads as the quota.
 */
const SHARE_PRIOR = 0.1
const SHARE_PRIOR_CALLS = 4
/** Each call's weight in the random share learned: about the last 50 calls count. */
const SHARE_EWMA_PER_CALL = 1 / 50
const LATENCY_EWMA = 0.1
/** Goodput is measured over this window of replies, or over the last `GOODPUT_REPLIES` if it holds fewer, going back at most `GOODPUT_HISTORY_MS`. */
const GOODPUT_WINDOW_MS = 2 * 1000 // 2 s
const GOODPUT_REPLIES = 8
const GOODPUT_HISTORY_MS = 30 * 1000 // 30 s
/** Lowest rate ever learned: 6 a minute. */
const MIN_PER_SECOND = 0.1
/** Fewest calls in flight allowed while paced. */
const MIN_IN_FLIGHT = 2
/** Ceiling of the short backoff for random throttles: about one call's time, within these bounds. */
const SHORT_BACKOFF_MIN_MS = 10
const SHORT_BACKOFF_MAX_MS = 250
