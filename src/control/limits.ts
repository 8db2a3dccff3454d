/**
 * Quotas a server states in its replies, as plain data: OpenAI, Azure OpenAI and most
 * servers that copy their API send `x-ratelimit-limit-requests` / `-tokens` (the per-minute
 * quota) and `x-ratelimit-remaining-*` (what is left of it now) on every reply. The rate
 * controller adopts them when the user gave no `--rpm` / `--tpm` (see rate.ts).
 */
export interface LearnedLimits {
  /** Requests per minute the server allows. */
  rpm?: number
  /** Input + output tokens per minute the server allows. */
  tpm?: number
  /** Requests the server would still admit at the moment it replied: the bucket's level to start from. */
  remainingRequests?: number
  /** Tokens the server would still admit at the moment it replied. */
  remainingTokens?: number
}

/**
 * The limits in a reply's headers; undefined when it states none. `header` returns a
 * header's value by lower-case name (a fetch `Headers#get`, or a record lookup).
 */
export function limitsFromHeaders(header: (name: string) => string | null | undefined): LearnedLimits | undefined {
  const limits: LearnedLimits = {}
  const read = (name: string, key: keyof LearnedLimits, min: number): void => {
    const value = header(name)?.trim()
    // A whole number only: a proxy's garbage must not become a quota.
    if (value === undefined || !/^\d+$/.test(value)) return
    const n = Number(value)
    if (Number.isSafeInteger(n) && n >= min) limits[key] = n
  }
  read('x-ratelimit-limit-requests', 'rpm', 1)
  read('x-ratelimit-limit-tokens', 'tpm', 1)
  read('x-ratelimit-remaining-requests', 'remainingRequests', 0)
  read('x-ratelimit-remaining-tokens', 'remainingTokens', 0)
  return limits.rpm === undefined && limits.tpm === undefined ? undefined : limits
}
