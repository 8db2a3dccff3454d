/**
 * The emulator's options: the public type, its defaults, and the one resolver that applies
 * them and checks every value. Nothing downstream re-checks or re-defaults.
 */

export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Mean time before a successful reply, in ms. Default 800. */
  latencyMs?: number
  /** Uniform spread around `latencyMs`, in ms: each reply waits latencyMs ± jitterMs (at least 0). Default 200. */
  jitterMs?: number
  /** Share of valid requests answered at once with ThrottlingException (429), 0 to 1. Default 0. */
  throttleRate?: number
  /** Share of valid requests answered with ServiceUnavailableException (503) or InternalServerException (500), 0 to 1. Default 0. */
  errorRate?: number
  /** Share of replies that run past the requested length (about 1.6×), as real models do, 0 to 1. Default 0.25. */
  overshootRate?: number
  /** Model ids answered with AccessDeniedException, as if access was never enabled. Default none. */
  deniedModels?: string[]
  /**
   * Requests per minute, as Bedrock's quota: a call over it is answered at once with
   * ThrottlingException (429). Enforced as a token bucket refilled continuously, holding
   * `burstSeconds` of quota (see quota.ts). Default no limit.
   */
  rpm?: number
  /**
   * Tokens per minute, as Bedrock's quota. A call is charged its input tokens plus its
   * `maxTokens` (512 when it sets none) when admitted, and refunded what it did not use when
   * answered. Default no limit.
   */
  tpm?: number
  /** How much of `rpm` and `tpm` may be spent at once after an idle spell, in seconds of quota (at least 1 request or token). Default 1. */
  burstSeconds?: number
  /** Valid requests in flight at once; one more is answered with ThrottlingException (429). Default no limit. */
  maxConcurrency?: number
  /** Share of valid requests whose connection is reset (TCP RST) with no reply, 0 to 1. Default 0. */
  resetRate?: number
  /** Share of valid requests never answered: held until the client gives up or the emulator closes, 0 to 1. Default 0. */
  stallRate?: number
  /** Source of every dice roll (throttle, reset, stall, error, jitter, overshoot), for reproducible tests. Default `Math.random`. */
  random?: () => number
  /** Clock for the rpm and tpm quotas and the stats timeline, in ms, for tests with fake time. Default `performance.now`. */
  now?: () => number
  /** S3 endpoint the batch control plane reads inputs from and writes outputs to. Default `AWS_ENDPOINT_URL_S3`, else AWS's. */
  s3EndpointUrl?: string
  /** Batch jobs: time the fake model takes per record, in ms. Default 10. */
  batchRecordMs?: number
  /** Batch jobs: share of records answered with a per-record error in the output, 0 to 1. Default 0. */
  batchErrorRate?: number
  /** Batch jobs: how every job ends (besides a stop): `completed`, or half the records done and `partially-completed` or `expired`, or `failed`. Default `completed`. */
  batchOutcome?: BatchOutcome
  /** Batch jobs: fewest records a job may have, else it fails at validation. Default 100 (Bedrock's). */
  batchMinRecords?: number
  /** Batch jobs: submitted or running jobs per model at once; one more is refused with ServiceQuotaExceededException. Default 10. */
  batchMaxJobs?: number
  /** Batch jobs: seed of the error dice and the output shuffle, for reproducible outputs. Default 1. */
  batchSeed?: number
}

export const BATCH_OUTCOMES = ['completed', 'partially-completed', 'expired', 'failed'] as const
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number]

export const EMULATOR_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  latencyMs: 800,
  jitterMs: 200,
  throttleRate: 0,
  errorRate: 0,
  overshootRate: 0.25,
  resetRate: 0,
  stallRate: 0,
  burstSeconds: 1,
  batchRecordMs: 10,
  batchErrorRate: 0,
  batchOutcome: 'completed' as BatchOutcome,
  batchMinRecords: 100,
  batchMaxJobs: 10,
  batchSeed: 1,
}

/** Limits stay unset when not given: no limit. */
type LimitKey = 'rpm' | 'tpm' | 'maxConcurrency' | 's3EndpointUrl'

/** Options with every default applied: what the rest of the emulator reads. */
export type EmulatorSettings = Required<Omit<EmulatorOptions, 'deniedModels' | LimitKey>> &
  Pick<EmulatorOptions, LimitKey> & { deniedModels: Set<string> }

/** The command-line flag of each option, so messages name what the user typed. */
const FLAGS = {
  throttleRate: '--throttle-rate',
  errorRate: '--error-rate',
  overshootRate: '--overshoot-rate',
  resetRate: '--reset-rate',
  stallRate: '--stall-rate',
  latencyMs: '--latency-ms',
  jitterMs: '--jitter-ms',
  port: '--port',
  rpm: '--rpm',
  tpm: '--tpm',
  maxConcurrency: '--max-concurrency',
  burstSeconds: '--burst-seconds',
  batchRecordMs: '--batch-record-ms',
  batchErrorRate: '--batch-error-rate',
  batchMinRecords: '--batch-min-records',
  batchMaxJobs: '--batch-max-jobs',
  batchSeed: '--batch-seed',
} as const

export function resolveEmulatorOptions(options: EmulatorOptions): EmulatorSettings {
  const settings = {
    ...EMULATOR_DEFAULTS,
    random: Math.random,
    now: () => performance.now(),
    ...withoutUndefined(options),
    deniedModels: new Set(options.deniedModels ?? []),
  }
  for (const key of ['throttleRate', 'errorRate', 'overshootRate', 'resetRate', 'stallRate'] as const) {
    const value = settings[key]
    if (!(typeof value === 'number' && value >= 0 && value <= 1)) throw new TypeError(`${FLAGS[key]} must be a number from 0 to 1, got \`${String(value)}\``)
  }
  for (const key of ['latencyMs', 'jitterMs'] as const) {
    const value = settings[key]
    if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) throw new TypeError(`${FLAGS[key]} must be a number of milliseconds, 0 or more, got \`${String(value)}\``)
  }
  if (!(Number.isInteger(settings.port) && settings.port >= 0 && settings.port <= 65535)) {
    throw new TypeError(`${FLAGS.port} must be an integer from 0 to 65535, got \`${String(settings.port)}\``)
  }
  for (const key of ['rpm', 'tpm', 'maxConcurrency'] as const) {
    const value = settings[key]
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new TypeError(`${FLAGS[key]} must be an integer of 1 or more, got \`${String(value)}\``)
  }
  const { burstSeconds } = settings
  if (!(typeof burstSeconds === 'number' && burstSeconds > 0 && Number.isFinite(burstSeconds))) {
    throw new TypeError(`${FLAGS.burstSeconds} must be a number of seconds greater than 0, got \`${String(burstSeconds)}\``)
  }
  checkBatchOptions(settings)
  for (const key of ['random', 'now'] as const) {
    if (typeof settings[key] !== 'function') throw new TypeError(`${key} must be a function, got \`${String(settings[key])}\``)
  }
  return settings
}

function checkBatchOptions(settings: EmulatorSettings): void {
  const { batchRecordMs, batchErrorRate, batchOutcome } = settings
  if (!(typeof batchRecordMs === 'number' && batchRecordMs >= 0 && Number.isFinite(batchRecordMs))) throw new TypeError(`${FLAGS.batchRecordMs} must be a number of milliseconds, 0 or more, got \`${String(batchRecordMs)}\``)
  if (!(typeof batchErrorRate === 'number' && batchErrorRate >= 0 && batchErrorRate <= 1)) throw new TypeError(`${FLAGS.batchErrorRate} must be a number from 0 to 1, got \`${String(batchErrorRate)}\``)
  if (!BATCH_OUTCOMES.includes(batchOutcome)) throw new TypeError(`--batch-outcome must be one of ${BATCH_OUTCOMES.join(', ')}, got \`${String(batchOutcome)}\``)
  for (const key of ['batchMinRecords', 'batchMaxJobs', 'batchSeed'] as const) {
    const value = settings[key]
    if (!(Number.isInteger(value) && value >= 1)) throw new TypeError(`${FLAGS[key]} must be an integer of 1 or more, got \`${String(value)}\``)
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
