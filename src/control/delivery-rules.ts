/**
 * The numbers and the pure arithmetic of the learned send rate (`delivery.ts`): how many calls
 * make a phase or a test, how far a share must move to count, and the gains of tests, probes
 * and cuts. Each was chosen on the simulated scenarios of `npm run bench:rate-sim`.
 */

/** Sends a phase holds before the next one starts. */
export const PHASE_SENDS = 20
/** A phase also ends after this long, with at least `PHASE_MIN_SENDS`: slow quotas are probed every second or so, not every 20 calls. */
export const PHASE_MS = 1000 // 1 s
export const PHASE_MIN_SENDS = 3
/** Replies before a phase is first checked for throttles clearly above the random share. */
export const CHECK_REPLIES = 8
/** Replies a drain test needs to call throttles random; a clear fall is accepted from `TEST_MIN_REPLIES`. */
export const TEST_REPLIES = 16
export const TEST_MIN_REPLIES = 6
/** A drain test whose pace leaves few calls is judged on what came back after this long. */
export const TEST_MAX_MS = 10 * 1000 // 10 s
/** Calls a probe sends at least: at a share of 20% random throttles, 8 calls tell R × 1.25 under the quota from over it most of the time. */
export const PROBE_SENDS = 8
/** Time at the pace between two probes, while probes fail (BBR probes one round trip in eight). */
export const CRUISE_MS = 3 * 1000 // 3 s
/**
 * Share of the goodput a drain test sends at: under what got through, so under any quota (the
 * goodput is what the quota let through, less the random share), and slower than the run was
 * sending in any case.
 */
export const DRAIN_GAIN = 0.8
/** First probe above R, and its growth while probes succeed, up to `MAX_PROBE_GAIN`. */
export const PROBE_GAIN = 1.25
export const PROBE_GAIN_GROWTH = 1.25
export const MAX_PROBE_GAIN = 2
/** A probe passes when its share is under the floor plus this share of the way to what R as the quota would give. */
export const PROBE_PASS = 0.3
/** A probe this close to the quota last found, or above it, raises the rate by half its gain only. */
export const NEAR_QUOTA = 0.9
/** A probe that sent under this share of its pace was not bound by the pace. */
export const REACHED = 0.7
/** R after a cut, as a share of the goodput then measured over its random share: a little under, so that the quota's bucket refills. */
export const CUT_BETA = 0.9
/** A cut on a modest excess of throttles: R × this. */
export const SMALL_CUT = 0.85
/** Never below this share of R in one cut: a goodput measured on a few replies can be far too low. */
export const MAX_CUT = 0.5
/** Smallest difference of shares taken as a change (with `Z` standard errors). */
export const CLEAR_MARGIN = 0.1
export const Z = 2.5
/** Standard errors by which a drain test's share must fall: less than `Z`, since a test that fails is repeated at the next clear excess. */
export const Z_TEST = 2
/** Standard errors over the random share a paced phase may be and still refine it. */
export const LEARN_Z = 1
/** Variance floor of a share near 0 or 1, so that a handful of calls is never certain. */
export const MIN_VARIANCE = 0.02
/** A random share above this is a server that refuses most calls: no rate helps, and none is taken for "random". */
export const MAX_RANDOM_SHARE = 0.9
/** A drain test whose own share stays this high has not gone under the quota yet: it slows down further rather than call the throttles random. */
export const MAX_TEST_SHARE = 0.5
/**
 * A drain test open that ends with this share of its calls still refused, at the slowest pace
 * it tried, does not send unpaced: another run may be spending the whole quota (measured:
 * 30 calls a second into a quota of 4, a third of the pages lost to retries that ran out). Well
 * above the random shares that slowing down cannot help (60% of calls throttled at random is
 * still called random).
 */
export const MOST_REFUSED = 0.8
/**
 * The random share a drain test starts from, as if `SHARE_PRIOR_CALLS` calls had shown
 * `SHARE_PRIOR`: a test of 6 calls that met no throttle must not set it to 0, or every random
 * throttle after it reads as the quota.
 */
export const SHARE_PRIOR = 0.1
export const SHARE_PRIOR_CALLS = 4
/** Each call's weight in the random share learned: about the last 50 calls count. */
export const SHARE_EWMA_PER_CALL = 1 / 50
/** Lowest rate ever learned: 6 a minute. */
export const MIN_PER_SECOND = 0.1

/** Whether `share` of `n` calls is clearly above `floor`: by `margin` and by `Z` standard errors. */
export function above(share: number, n: number, floor: number, margin: number): boolean {
  const se = Math.sqrt(Math.max(floor * (1 - floor), MIN_VARIANCE) / Math.max(1, n))
  return share - floor > Math.max(margin, Z * se)
}

/** A share measured on `n` calls, nudged up by half a standard error: a floor set too low turns random throttles into quota cuts. */
export function cautious(share: number, n: number): number {
  return Math.min(MAX_RANDOM_SHARE, share + 0.5 * Math.sqrt(Math.max(share * (1 - share), MIN_VARIANCE) / Math.max(1, n)))
}

/**
 * The standard error of the difference between a share measured on `before.n` calls and
 * `throttled` of `n` fresh ones, on their pooled share: how far a test or a recheck must move
 * from the phase it checks before the move counts.
 */
export function pooledError(before: { share: number; n: number }, throttled: number, n: number): number {
  const pooled = (before.share * before.n + throttled) / (before.n + n)
  return Math.sqrt(Math.max(pooled * (1 - pooled), MIN_VARIANCE) * (1 / before.n + 1 / Math.max(1, n)))
}
