import type { Table } from './table.js'

/**
 * The emulator's options: `summarize-urls emulator`'s flags, and `EmulatorOptions` for
 * `startEmulator()`. --help and the README's emulator table list them in this order. Rates
 * are shares of valid requests, 0 to 1; each fault's dice are rolled after the quotas.
 */
/** How a batch job ends in the emulator (besides a stop). */
export const BATCH_OUTCOMES = ['completed', 'partially-completed', 'expired', 'failed'] as const
export type BatchOutcome = (typeof BATCH_OUTCOMES)[number]

const BATCH = 'Batch jobs:'

export const EMULATOR_OPTIONS = {
  port: { flag: 'port', kind: 'integer', min: 0, max: 65535, default: 0, defaultNote: 'a free port', help: 'port to listen on; `0` picks a free one' },
  host: { flag: 'host', kind: 'string', arg: 'H', default: '127.0.0.1', help: 'address to bind' },
  latencyMs: { flag: 'latency-ms', kind: 'number', min: 0, unit: 'milliseconds', default: 800, help: 'mean latency of a model call, in ms' },
  jitterMs: {
    flag: 'jitter-ms', kind: 'number', min: 0, unit: 'milliseconds', default: 200,
    help: 'latency varies uniformly by up to ± this much, in ms', details: 'never below 0',
  },
  throttleRate: { flag: 'throttle-rate', kind: 'number', min: 0, max: 1, arg: 'P', default: 0, help: 'fraction of calls answered `429 ThrottlingException`' },
  errorRate: { flag: 'error-rate', kind: 'number', min: 0, max: 1, arg: 'P', default: 0, help: 'fraction of calls answered `500 InternalServerException` / `503 ServiceUnavailableException`' },
  overshootRate: {
    flag: 'overshoot-rate', kind: 'number', min: 0, max: 1, arg: 'P', default: 0.25,
    help: 'fraction of replies longer than the requested length', details: 'about 1.6×, as real models do',
  },
  deniedModels: {
    flag: 'deny-model', kind: 'list', item: { kind: 'string' }, allowEmpty: true, arg: 'ID', defaultText: 'none',
    help: 'model ids answered `403 AccessDeniedException` (model not enabled; OpenAI routes: `404`); repeatable',
  },
  rpm: {
    // A token bucket refilled continuously, holding `burstSeconds` of quota (quota.ts).
    flag: 'rpm', kind: 'integer', min: 1, defaultText: 'no limit',
    help: 'requests per minute, as a Bedrock quota: a call over it gets `429 ThrottlingException` at once',
  },
  rpmAt: {
    flag: 'rpm-at', kind: 'list', item: { kind: 'string' }, allowEmpty: true, arg: 'S=RPM', defaultText: 'none',
    help: 'from `S` seconds after start the requests-per-minute quota becomes `RPM` (`--rpm-at 20=150 --rpm-at 40=600`); repeatable',
    details: 'a quota that changes mid-run, as when another job starts sharing it; the bucket keeps what it holds, up to the new burst',
  },
  tpm: {
    flag: 'tpm', kind: 'integer', min: 1, defaultText: 'no limit',
    help: 'tokens per minute: a call is charged its input tokens plus `maxTokens` (512 when it sets none) on arrival, and the unused part is refunded with the reply',
  },
  burstSeconds: {
    flag: 'burst-seconds', kind: 'number', min: 0, exclusiveMin: true, unit: 'seconds', arg: 'S', default: 1,
    help: 'seconds of `--rpm`/`--tpm` quota that may be spent at once', details: 'at least 1 request or token',
  },
  apiKey: {
    flag: 'api-key', kind: 'string', arg: 'KEY', defaultText: 'any non-empty key',
    help: 'the one key the OpenAI routes accept (`Authorization: Bearer` or Azure\'s `api-key`); any other gets `401 invalid_api_key`',
  },
  maxConcurrency: { flag: 'max-concurrency', kind: 'integer', min: 1, defaultText: 'no limit', help: 'calls in flight at once; one more gets `429 ThrottlingException`' },
  resetRate: { flag: 'reset-rate', kind: 'number', min: 0, max: 1, arg: 'P', default: 0, help: 'fraction of calls whose connection is reset with no reply' },
  stallRate: { flag: 'stall-rate', kind: 'number', min: 0, max: 1, arg: 'P', default: 0, help: 'fraction of calls never answered: held until the client gives up' },
  seed: {
    flag: 'seed', kind: 'integer', min: 0, max: 4_294_967_295, defaultText: 'random',
    help: 'seed of every dice roll (throttles, faults, jitter, overshoot): the same seed gives the same run',
  },
  s3EndpointUrl: {
    flag: 's3-endpoint-url', kind: 'string', arg: 'URL', defaultText: '`AWS_ENDPOINT_URL_S3`, else AWS\'s', group: BATCH,
    help: 'S3 endpoint batch jobs read their inputs from and write their outputs to',
  },
  batchRecordMs: { flag: 'batch-record-ms', kind: 'number', min: 0, unit: 'milliseconds', default: 10, group: BATCH, help: 'time the fake model takes per batch record, in ms' },
  batchErrorRate: { flag: 'batch-error-rate', kind: 'number', min: 0, max: 1, arg: 'P', default: 0, group: BATCH, help: 'fraction of batch records answered with a per-record error' },
  batchOutcome: {
    flag: 'batch-outcome', kind: 'enum', values: BATCH_OUTCOMES, default: 'completed', group: BATCH,
    help: 'how every batch job ends (unless stopped)', details: '`partially-completed` and `expired` process half the records',
  },
  batchMinRecords: { flag: 'batch-min-records', kind: 'integer', min: 1, default: 100, group: BATCH, help: 'fewest records a batch job may have; fewer fail at validation' },
  batchMaxJobs: {
    flag: 'batch-max-jobs', kind: 'integer', min: 1, default: 10, group: BATCH,
    help: 'submitted or running batch jobs per model at once; one more gets `ServiceQuotaExceededException`',
  },
  batchSeed: { flag: 'batch-seed', kind: 'integer', min: 1, default: 1, group: BATCH, help: 'seed of the batch error dice and the output shuffle' },
} as const satisfies Table

export type EmulatorTable = typeof EMULATOR_OPTIONS
