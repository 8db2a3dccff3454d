/**
 * Bedrock's quotas as the emulator enforces them: requests per minute, tokens per minute
 * (token buckets, see quota.ts) and requests in flight. Protocol-neutral: a refusal says
 * which limit it hit, and the protocol turns that into its own error.
 */
import { quotaBucket } from './quota.js'
import type { TokenBucket } from './quota.js'
import type { EmulatorSettings } from './options.js'

/**
 * What a call without `maxTokens` is charged against tpm until it is answered. Bedrock
 * reserves the model's default maximum; the emulator's replies are short, so a modest figure.
 */
const DEFAULT_MAX_TOKENS_CHARGE = 512

/** A request's hold on the quotas; `release` is idempotent, so every way a request ends may call it. */
export interface Admitted {
  kind: 'admitted'
  /** Frees the concurrency slot and refunds the tokens reserved but not used. */
  release(outputTokens: number): void
}

export interface Refused {
  kind: 'throttled'
  reason: 'concurrency' | 'rpm' | 'tpm'
}

type QuotaSettings = Pick<EmulatorSettings, 'rpm' | 'rpmAt' | 'tpm' | 'burstSeconds' | 'maxConcurrency' | 'now'>

/** A quota as a server states it in `x-ratelimit-*` headers. */
export interface QuotaState {
  /** The quota per minute. */
  limit: number
  /** What could be spent at once now (the bucket's level, never below 0). */
  remaining: number
  /** Until the bucket is full again, in ms. */
  resetMs: number
}

export class Quotas {
  readonly #settings: QuotaSettings
  #rpm: TokenBucket | undefined
  readonly #tpm: TokenBucket | undefined
  readonly #startedMs: number
  /** `--rpm-at` changes not yet in force. */
  readonly #changes: Array<{ atMs: number; rpm: number }>
  /** Requests past validation and quotas, not yet answered: what maxConcurrency limits. */
  #admitted = 0

  /** `startedMs` on the settings' clock: the buckets start full at that time. */
  constructor(settings: QuotaSettings, startedMs: number) {
    this.#settings = settings
    this.#startedMs = startedMs
    this.#changes = [...settings.rpmAt]
    this.#rpm = settings.rpm === undefined ? undefined : quotaBucket(settings.rpm, settings.burstSeconds, startedMs)
    this.#tpm = settings.tpm === undefined ? undefined : quotaBucket(settings.tpm, settings.burstSeconds, startedMs)
  }

  /**
   * Sets the requests-per-minute quota from now on (`--rpm-at`, `RunningEmulator.setRpm`).
   * The bucket keeps what it holds, up to the new burst: a lower quota does not forgive what
   * was just spent, and a higher one is not handed out at once.
   */
  setRpm(perMinute: number, nowMs = this.#settings.now()): void {
    const capacity = Math.max(1, (perMinute / 60) * this.#settings.burstSeconds)
    if (this.#rpm === undefined) this.#rpm = quotaBucket(perMinute, this.#settings.burstSeconds, nowMs)
    else this.#rpm.setRate(perMinute, capacity, nowMs)
  }

  /** The rpm quota in force now (undefined: none). */
  rpmNow(): number | undefined {
    this.#schedule(this.#settings.now())
    return this.#rpm?.perMinute
  }

  /** Brings in the `--rpm-at` changes that are due. */
  #schedule(nowMs: number): void {
    while (this.#changes.length > 0 && this.#changes[0]!.atMs <= nowMs - this.#startedMs) {
      const change = this.#changes.shift()!
      this.setRpm(change.rpm, this.#startedMs + change.atMs)
    }
  }

  /** The rpm and tpm quotas and what is left of them now; undefined where there is no limit. */
  state(): { rpm: QuotaState | undefined; tpm: QuotaState | undefined } {
    const nowMs = this.#settings.now()
    this.#schedule(nowMs)
    const of = (bucket: TokenBucket | undefined): QuotaState | undefined => {
      if (bucket === undefined) return undefined
      const level = bucket.level(nowMs)
      return { limit: bucket.perMinute, remaining: Math.max(0, Math.floor(level)), resetMs: Math.ceil(((bucket.capacity - level) * 60_000) / bucket.perMinute) }
    }
    return { rpm: of(this.#rpm), tpm: of(this.#tpm) }
  }

  /** How long until a request refused for `reason` would be admitted, in ms (0 for the in-flight limit, which frees when a call ends). */
  waitMs(reason: Refused['reason'], inputTokens: number, maxTokens: number | undefined): number {
    const nowMs = this.#settings.now()
    this.#schedule(nowMs)
    if (reason === 'rpm') return this.#rpm?.waitMs(1, nowMs) ?? 0
    if (reason === 'tpm') return this.#tpm?.waitMs(inputTokens + (maxTokens ?? DEFAULT_MAX_TOKENS_CHARGE), nowMs) ?? 0
    return 0
  }

  /** Takes the request's share of every quota, or says which one it is over. */
  admit(inputTokens: number, maxTokens: number | undefined): Admitted | Refused {
    const settings = this.#settings
    const nowMs = settings.now()
    this.#schedule(nowMs)
    const rpm = this.#rpm
    const tpm = this.#tpm
    const reservedTokens = maxTokens ?? DEFAULT_MAX_TOKENS_CHARGE
    const chargedTokens = inputTokens + reservedTokens
    // Checked before anything is taken: a throttled call spends no quota, so a client that
    // retries too eagerly still gets the quota's rate, not nothing.
    if (settings.maxConcurrency !== undefined && this.#admitted >= settings.maxConcurrency) return { kind: 'throttled', reason: 'concurrency' }
    if (rpm !== undefined && !rpm.admits(1, nowMs)) return { kind: 'throttled', reason: 'rpm' }
    if (tpm !== undefined && !tpm.admits(chargedTokens, nowMs)) return { kind: 'throttled', reason: 'tpm' }
    rpm?.take(1, nowMs)
    tpm?.take(chargedTokens, nowMs)
    this.#admitted++
    let released = false
    return {
      kind: 'admitted',
      release: (outputTokens) => {
        if (released) return
        released = true
        this.#admitted--
        // Without maxTokens a reply may run past the reservation: the refund is then negative, an extra charge.
        tpm?.give(reservedTokens - outputTokens, settings.now())
      },
    }
  }
}
