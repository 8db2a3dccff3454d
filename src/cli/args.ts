import type { Argv } from 'yargs'
import { EMULATOR_DEFAULTS } from '../emulator/server.js'
import { INPUT, JOB_OPTIONS } from '../options/job.js'
import { terminalText, yargsOptions } from '../options/yargs.js'

// The job's flags are derived from its option table (src/options/job.ts); the emulator's are
// still declared here, with no yargs `default` and no `choices` for the same reason: an unset
// option stays unset, so its resolver applies the one set of defaults and words the message.

/** The main command: the input, and the job's options. */
export function summarizeArgs<T>(y: Argv<T>) {
  return jobOptions(y.positional(INPUT.name, { type: 'string', describe: terminalText(INPUT.help), demandOption: true }))
}

/** The job's options, shared by the main command and `demo`, which runs the same job. */
export function jobOptions<T>(y: Argv<T>) {
  return y.options(yargsOptions(JOB_OPTIONS))
}

export function emulatorArgs<T>(y: Argv<T>) {
  return y.options({
    port: { type: 'number', requiresArg: true, defaultDescription: `${EMULATOR_DEFAULTS.port} (a free port)`, describe: 'port to listen on' },
    host: { type: 'string', requiresArg: true, defaultDescription: EMULATOR_DEFAULTS.host, describe: 'address to bind' },
    'latency-ms': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.latencyMs), describe: 'mean model latency per call' },
    'jitter-ms': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.jitterMs), describe: 'latency varies uniformly by up to this much' },
    'throttle-rate': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.throttleRate), describe: 'fraction of calls answered with ThrottlingException (429)' },
    'error-rate': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.errorRate), describe: 'fraction of calls answered with a 500/503' },
    'overshoot-rate': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.overshootRate), describe: 'fraction of replies that run past the requested length' },
    'deny-model': { type: 'string', array: true, requiresArg: true, defaultDescription: 'none', describe: 'model ids answered with AccessDeniedException (not enabled); repeatable' },
    rpm: { type: 'number', requiresArg: true, defaultDescription: 'no limit', describe: 'requests per minute (a Bedrock quota); calls over it get ThrottlingException (429)' },
    tpm: { type: 'number', requiresArg: true, defaultDescription: 'no limit', describe: 'tokens per minute (a Bedrock quota): input + maxTokens charged per call, the unused part refunded' },
    'burst-seconds': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.burstSeconds), describe: 'seconds of --rpm and --tpm quota that may be spent at once' },
    'max-concurrency': { type: 'number', requiresArg: true, defaultDescription: 'no limit', describe: 'calls in flight at once; one more gets ThrottlingException (429)' },
    'reset-rate': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.resetRate), describe: 'fraction of calls whose connection is reset with no reply' },
    'stall-rate': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.stallRate), describe: 'fraction of calls never answered (held until the client gives up)' },
    's3-endpoint-url': { type: 'string', requiresArg: true, defaultDescription: 'AWS_ENDPOINT_URL_S3', describe: 'S3 endpoint batch jobs read inputs from and write outputs to' },
    'batch-record-ms': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.batchRecordMs), describe: 'batch jobs: ms the fake model takes per record' },
    'batch-error-rate': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.batchErrorRate), describe: 'batch jobs: fraction of records with a per-record error' },
    'batch-outcome': { type: 'string', requiresArg: true, defaultDescription: EMULATOR_DEFAULTS.batchOutcome, describe: 'batch jobs: completed | partially-completed | expired | failed' },
    'batch-min-records': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.batchMinRecords), describe: 'batch jobs: fewest records a job may have' },
    'batch-max-jobs': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.batchMaxJobs), describe: 'batch jobs: submitted or running jobs per model at once' },
    'batch-seed': { type: 'number', requiresArg: true, defaultDescription: String(EMULATOR_DEFAULTS.batchSeed), describe: 'batch jobs: seed of the error dice and the output shuffle' },
  })
}
