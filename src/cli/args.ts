import type { Argv } from 'yargs'
import { EMULATOR_DEFAULTS } from '../emulator/server.js'
import { DEFAULTS, OUTPUT_FORMATS, PROVIDERS, STRATEGIES } from '../options.js'

// Options are declared here as data, with no yargs `default` and no `choices`: an unset
// option stays unset, so resolveOptions() (and the emulator's own resolver) apply the one
// set of defaults and give the one style of message ("--strategy must be one of …, got `x`").
// `defaultDescription` only shows those defaults in --help.

/** The main command: the input, and the job's options. */
export function summarizeArgs<T>(y: Argv<T>) {
  return jobOptions(y.positional('input', { type: 'string', describe: 'file with one URL a line, or - for stdin', demandOption: true }))
}

/** The job's options, shared by the main command and `demo`, which runs the same job. */
export function jobOptions<T>(y: Argv<T>) {
  return y.options({
      provider: { type: 'string', requiresArg: true, group: 'Summarizer:', defaultDescription: DEFAULTS.provider, describe: `who writes summaries (${PROVIDERS.join(' | ')}): auto uses bedrock when AWS credentials resolve, else extractive` },
      model: { type: 'string', requiresArg: true, group: 'Summarizer:', defaultDescription: DEFAULTS.model, describe: 'Bedrock model id or inference profile' },
      region: { type: 'string', requiresArg: true, group: 'Summarizer:', defaultDescription: 'AWS_REGION, then the profile', describe: 'AWS region' },
      profile: { type: 'string', requiresArg: true, group: 'Summarizer:', defaultDescription: 'AWS_PROFILE, then default', describe: 'AWS named profile' },
      'endpoint-url': { type: 'string', requiresArg: true, group: 'Summarizer:', defaultDescription: "the SDK's", describe: 'Bedrock Runtime endpoint, e.g. the local emulator (AWS_ENDPOINT_URL_BEDROCK_RUNTIME works too)' },
      'max-chars': { type: 'number', requiresArg: true, group: 'Summarizer:', defaultDescription: String(DEFAULTS.maxChars), describe: 'longest summary, in characters' },
      'max-input-chars': { type: 'number', requiresArg: true, group: 'Summarizer:', defaultDescription: String(DEFAULTS.maxInputChars), describe: 'longest page text sent to the model, in characters' },
      retries: { type: 'number', requiresArg: true, group: 'Summarizer:', defaultDescription: String(DEFAULTS.retries), describe: 'retries for throttled or failed model calls' },
      'model-timeout': { type: 'number', requiresArg: true, group: 'Summarizer:', defaultDescription: String(DEFAULTS.modelTimeoutMs / 1000), describe: 'seconds allowed for one model call' },
      rpm: { type: 'number', requiresArg: true, group: 'Rate control:', defaultDescription: 'no limit', describe: 'model requests per minute, shared by every thread (your Bedrock quota)' },
      tpm: { type: 'number', requiresArg: true, group: 'Rate control:', defaultDescription: 'no limit', describe: 'model tokens (input + output) per minute, shared by every thread' },
      strategy: { type: 'string', requiresArg: true, group: 'Scheduling:', defaultDescription: DEFAULTS.strategy, describe: `scheduling (${STRATEGIES.join(' | ')}): one page at a time, async on the main thread, or a worker-thread pool` },
      concurrency: { type: 'number', requiresArg: true, group: 'Scheduling:', defaultDescription: `${DEFAULTS.concurrency}; 1 for sequential`, describe: 'pages in flight at once' },
      threads: { type: 'number', requiresArg: true, group: 'Scheduling:', defaultDescription: 'number of cores', describe: 'worker threads for --strategy pool' },
      'fetch-timeout': { type: 'number', requiresArg: true, group: 'Fetching:', defaultDescription: String(DEFAULTS.fetchTimeoutMs / 1000), describe: 'seconds allowed to fetch one page, redirects included' },
      'max-page-bytes': { type: 'number', requiresArg: true, group: 'Fetching:', defaultDescription: `${DEFAULTS.maxPageBytes} (5 MiB)`, describe: 'largest page accepted, after decompression' },
      'max-redirects': { type: 'number', requiresArg: true, group: 'Fetching:', defaultDescription: String(DEFAULTS.maxRedirects), describe: 'redirects followed per page' },
      'deny-private': { type: 'boolean', group: 'Fetching:', describe: 'refuse pages on loopback, private or link-local addresses (checked after DNS and after every redirect)' },
      'user-agent': { type: 'string', requiresArg: true, group: 'Fetching:', defaultDescription: 'summarize-urls/<version> (Node.js <version>)', describe: 'User-Agent header for page requests' },
      out: { alias: 'o', type: 'string', requiresArg: true, group: 'Output:', defaultDescription: 'stdout', describe: 'write records to this file' },
      format: { alias: 'f', type: 'string', requiresArg: true, group: 'Output:', defaultDescription: 'from the --out extension, else jsonl', describe: `record format (${OUTPUT_FORMATS.join(' | ')})` },
      resume: { type: 'boolean', group: 'Output:', describe: 'with --out FILE (JSONL): keep its ok records, retry the failed ones, do the rest' },
      unordered: { type: 'boolean', group: 'Output:', describe: 'write records as pages finish instead of in input order' },
      quiet: { alias: 'q', type: 'boolean', group: 'Output:', describe: 'no progress or notices on stderr' },
    })
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
  })
}
