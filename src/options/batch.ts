import { DEFAULT_MODEL, JOB_OPTIONS, MODE_GROUP } from './job.js'
import { awsEndpoint, SECONDS_AS_MS, type Table } from './table.js'

export const INVOCATION_TYPES = ['auto', 'converse', 'invoke-model'] as const
export type InvocationTypeChoice = (typeof INVOCATION_TYPES)[number]

// Bedrock's batch quotas, from the Bedrock quotas page (Service Quotas, "Batch inference")
// and the batch inference guide: 50,000 records per file and per job, 1 GB per input file,
// 5 GB per job, 10 submitted or running jobs per model. The 100-record minimum is the
// figure peers report and Bedrock's validation enforces; all are defaults a flag overrides,
// because accounts get their quotas raised.
const GIB = 1024 * 1024 * 1024

/**
 * The `batch` commands' options: the job's rows that shape prepare and the online path
 * (the same prompt, the same fetch), and the batch rows. One row per option; --help, the
 * yargs definitions, validation and the resolved settings are derived from it, as for the job.
 */
export const BATCH_OPTIONS = {
  // Batch inference is Bedrock's: its model has Bedrock's default whatever the job's provider.
  model: { flag: 'model', kind: 'string', arg: 'ID', default: DEFAULT_MODEL, group: 'Summarizer:', help: 'Bedrock model id or inference profile' },
  region: JOB_OPTIONS.region,
  profile: JOB_OPTIONS.profile,
  endpointUrl: awsEndpoint('endpoint-url', 'AWS_ENDPOINT_URL_BEDROCK', 'AWS:', 'Bedrock control-plane endpoint (model invocation jobs), e.g. the local emulator'),
  runtimeEndpointUrl: {
    flag: 'runtime-endpoint-url', kind: 'string', arg: 'URL', defaultText: "`--endpoint-url`, else the SDK's (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`)", group: 'AWS:',
    help: 'Bedrock Runtime endpoint for online calls (`run-local`, `--retry-failed-online`)',
  },
  s3EndpointUrl: awsEndpoint('s3-endpoint-url', 'AWS_ENDPOINT_URL_S3', 'AWS:', 'S3 endpoint, e.g. a local S3-compatible server'),
  roleArn: { flag: 'role-arn', kind: 'string', arg: 'ARN', group: 'AWS:', help: 'IAM role Bedrock assumes to read and write `--s3` (see "Half price: batch inference")' },
  s3: { flag: 's3', kind: 'string', arg: 'URI', group: 'AWS:', help: 'S3 prefix for inputs and outputs, `s3://bucket/prefix/`' },
  invocationType: {
    flag: 'invocation-type', kind: 'enum', values: INVOCATION_TYPES, default: 'auto', group: 'Batch:',
    help: 'record body: `converse` (any text model), `invoke-model` (the native Anthropic Messages body); `auto` is `converse`',
  },
  minRecords: { flag: 'min-records', kind: 'integer', min: 1, max: 1_000_000, default: 100, group: 'Batch:', help: "fewest records a job may have (Bedrock's minimum): smaller runs are refused before upload" },
  recordsPerFile: { flag: 'records-per-file', kind: 'integer', min: 1, max: 10_000_000, default: 50_000, group: 'Batch:', help: 'most records in one input file (Bedrock quota)' },
  bytesPerFile: { flag: 'bytes-per-file', kind: 'integer', min: 1024, max: 100 * GIB, default: GIB, defaultNote: '1 GiB', group: 'Batch:', help: 'largest input file, in bytes (Bedrock quota)' },
  recordsPerJob: { flag: 'records-per-job', kind: 'integer', min: 1, max: 10_000_000, default: 50_000, group: 'Batch:', help: 'most records in one job (Bedrock quota); more make several jobs' },
  bytesPerJob: { flag: 'bytes-per-job', kind: 'integer', min: 1024, max: 1024 * GIB, default: 5 * GIB, defaultNote: '5 GiB', group: 'Batch:', help: 'largest job input, in bytes (Bedrock quota)' },
  maxJobs: { flag: 'max-jobs', kind: 'integer', min: 1, max: 1000, default: 10, group: 'Batch:', help: 'jobs submitted or running at once (Bedrock quota per model); more wait their turn' },
  timeoutHours: { flag: 'timeout-hours', kind: 'integer', min: 24, max: 168, default: 24, group: 'Batch:', help: 'hours before Bedrock expires a job' },
  pollIntervalMs: {
    flag: 'poll-interval', kind: 'number', min: 10, max: 3_600_000, cliUnit: SECONDS_AS_MS, arg: 'S', default: 30 * 1000, // 30 s
    group: 'Batch:', help: 'seconds between status polls at first; backs off to 10 times that',
  },
  priceInput: { flag: 'price-input', kind: 'number', min: 0, max: 1_000_000, unit: 'USD', arg: 'USD', defaultText: "the model's on-demand price", group: 'Batch:', help: 'on-demand price per million input tokens, for the cost line' },
  priceOutput: { flag: 'price-output', kind: 'number', min: 0, max: 1_000_000, unit: 'USD', arg: 'USD', defaultText: "the model's on-demand price", group: 'Batch:', help: 'on-demand price per million output tokens, for the cost line' },
  inputFormat: JOB_OPTIONS.inputFormat,
  urlColumn: JOB_OPTIONS.urlColumn,
  keepColumns: JOB_OPTIONS.keepColumns,
  prompt: JOB_OPTIONS.prompt,
  promptFile: JOB_OPTIONS.promptFile,
  maxChars: JOB_OPTIONS.maxChars,
  maxInputChars: JOB_OPTIONS.maxInputChars,
  retries: JOB_OPTIONS.retries,
  modelTimeoutMs: JOB_OPTIONS.modelTimeoutMs,
  rpm: JOB_OPTIONS.rpm,
  tpm: JOB_OPTIONS.tpm,
  concurrency: JOB_OPTIONS.concurrency,
  threads: JOB_OPTIONS.threads,
  fetchTimeoutMs: JOB_OPTIONS.fetchTimeoutMs,
  maxPageBytes: JOB_OPTIONS.maxPageBytes,
  maxPdfBytes: JOB_OPTIONS.maxPdfBytes,
  charset: JOB_OPTIONS.charset,
  maxRedirects: JOB_OPTIONS.maxRedirects,
  denyPrivate: JOB_OPTIONS.denyPrivate,
  userAgent: JOB_OPTIONS.userAgent,
  cache: JOB_OPTIONS.cache,
  cacheDir: JOB_OPTIONS.cacheDir,
  cacheMaxBytes: JOB_OPTIONS.cacheMaxBytes,
  jobFile: { flag: 'job-file', kind: 'path', arg: 'FILE', cliOnly: true, defaultText: '`<--out>.batch.json`, else `batch-job.json`', group: 'Output:', help: 'the job file: everything needed to come back to the run from any shell' },
  out: JOB_OPTIONS.out,
  format: JOB_OPTIONS.format,
  outDir: { flag: 'out-dir', kind: 'path', arg: 'DIR', cliOnly: true, group: 'Output:', help: '`run-local`: where `<file>.jsonl.out` and `manifest.json.out` go' },
  wait: { flag: 'wait', kind: 'boolean', cliOnly: true, group: 'Output:', help: '`status`: poll until every job has ended' },
  retryFailedOnline: { flag: 'retry-failed-online', kind: 'boolean', cliOnly: true, group: 'Output:', help: '`collect`: send failed and unprocessed records through the online API' },
  quiet: JOB_OPTIONS.quiet,
} as const satisfies Table

export type BatchTable = typeof BATCH_OPTIONS

const JOB_FLAGS: ReadonlySet<string> = new Set(Object.values(JOB_OPTIONS).map((row) => row.flag))
/** `run-local`'s and `status`'s alone: the main command's batch is `batch run`. */
const NOT_RUN: ReadonlySet<keyof BatchTable> = new Set(['outDir', 'wait'])

/**
 * The batch rows the main command takes for `--mode batch|auto`: every `batch run` row
 * whose flag the job lacks, shown under the `--mode` heading. A flag both have (`--model`,
 * `--endpoint-url`) keeps the job's row for --help and means what `batch run` says in batch.
 */
export const BATCH_MODE_OPTIONS: Table = Object.fromEntries(
  Object.entries(BATCH_OPTIONS)
    .filter(([key, row]) => !JOB_FLAGS.has(row.flag) && !NOT_RUN.has(key as keyof BatchTable))
    .map(([key, row]) => [key, { ...row, group: MODE_GROUP }]),
)
