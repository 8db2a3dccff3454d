import { TokenBucket } from '../control/token-bucket.js'

export { TokenBucket }

/**
 * The bucket for an emulated Bedrock quota of `perMinute` (requests or tokens), holding
 * `burstSeconds` worth of it and at least 1. Bedrock does not publish how it enforces a
 * per-minute quota; a continuous refill with a small burst is the conservative reading: a
 * client that spreads its calls evenly at the quota never sees a 429, and one that fires a
 * minute's worth at once does.
 */
export function quotaBucket(perMinute: number, burstSeconds: number, nowMs: number): TokenBucket {
  return TokenBucket.forQuota(perMinute, burstSeconds, nowMs)
}
