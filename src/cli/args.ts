import type { Argv } from 'yargs'
import { DEFAULTS, OUTPUT_FORMATS, PROVIDERS, STRATEGIES } from '../options.js'

// No yargs `choices`: resolveOptions() validates values, so the library and the CLI give the
// same one-line message ("--strategy must be one of …, got `x`").

/**
 * Every option of every command, declared once as data. `main()` turns the parsed values
 * into `SummarizeOptions`; validation and defaults live in `resolveOptions()`, not here,
 * so the library and the CLI accept exactly the same things.
 */
export function summarizeArgs<T>(y: Argv<T>) {
  return y
    .positional('input', { type: 'string', describe: 'file with one URL a line, or - for stdin', demandOption: true })
    .option('provider', { type: 'string', describe: `who writes summaries (${PROVIDERS.join(' | ')}): auto uses bedrock when AWS credentials resolve, else extractive`, default: DEFAULTS.provider, group: 'Summarizer:' })
    .option('model', { type: 'string', describe: 'Bedrock model id or inference profile', default: DEFAULTS.model, group: 'Summarizer:' })
    .option('region', { type: 'string', describe: 'AWS region (default: AWS_REGION, then the profile)', group: 'Summarizer:' })
    .option('profile', { type: 'string', describe: 'AWS named profile (default: AWS_PROFILE, then default)', group: 'Summarizer:' })
    .option('endpoint-url', { type: 'string', describe: 'Bedrock Runtime endpoint, e.g. the local emulator (default: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, then AWS)', group: 'Summarizer:' })
    .option('max-chars', { type: 'number', describe: 'longest summary, in characters', default: DEFAULTS.maxChars, group: 'Summarizer:' })
    .option('max-input-chars', { type: 'number', describe: 'longest page text sent to the model, in characters', default: DEFAULTS.maxInputChars, group: 'Summarizer:' })
    .option('retries', { type: 'number', describe: 'retries for throttled or failed model calls', default: DEFAULTS.retries, group: 'Summarizer:' })
    .option('model-timeout', { type: 'number', describe: 'seconds allowed for one model call', default: DEFAULTS.modelTimeoutMs / 1000, group: 'Summarizer:' })
    .option('strategy', { type: 'string', describe: `scheduling (${STRATEGIES.join(' | ')}): one page at a time, async on the main thread, or a worker-thread pool`, default: DEFAULTS.strategy, group: 'Scheduling:' })
    .option('concurrency', { type: 'number', describe: 'pages in flight at once (default 16; 1 for sequential)', group: 'Scheduling:' })
    .option('threads', { type: 'number', describe: 'worker threads for --strategy pool (default: number of cores)', group: 'Scheduling:' })
    .option('fetch-timeout', { type: 'number', describe: 'seconds allowed to fetch one page, redirects included', default: DEFAULTS.fetchTimeoutMs / 1000, group: 'Fetching:' })
    .option('max-page-bytes', { type: 'number', describe: 'largest page accepted, after decompression', default: DEFAULTS.maxPageBytes, group: 'Fetching:' })
    .option('max-redirects', { type: 'number', describe: 'redirects followed per page', default: DEFAULTS.maxRedirects, group: 'Fetching:' })
    .option('user-agent', { type: 'string', describe: 'User-Agent header for page requests', default: DEFAULTS.userAgent, defaultDescription: 'summarize-urls/<version>', group: 'Fetching:' })
    .option('out', { alias: 'o', type: 'string', describe: 'write records to this file instead of stdout', group: 'Output:' })
    .option('format', { alias: 'f', type: 'string', describe: `record format (${OUTPUT_FORMATS.join(' | ')}; default: from the --out extension, else jsonl)`, group: 'Output:' })
    .option('unordered', { type: 'boolean', describe: 'write records as pages finish instead of in input order', default: false, group: 'Output:' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'no progress or notices on stderr', default: false, group: 'Output:' })
}

export function emulatorArgs<T>(y: Argv<T>) {
  return y
    .option('port', { type: 'number', describe: 'port to listen on (0 picks a free one)', default: 0 })
    .option('host', { type: 'string', describe: 'address to bind', default: '127.0.0.1' })
    .option('latency-ms', { type: 'number', describe: 'mean model latency per call', default: 800 })
    .option('jitter-ms', { type: 'number', describe: 'latency varies uniformly by up to this much', default: 200 })
    .option('throttle-rate', { type: 'number', describe: 'fraction of calls answered with ThrottlingException (429)', default: 0 })
    .option('error-rate', { type: 'number', describe: 'fraction of calls answered with a 500/503', default: 0 })
    .option('overshoot-rate', { type: 'number', describe: 'fraction of replies that run past the requested length', default: 0.25 })
    .option('deny-model', { type: 'string', array: true, describe: 'model ids answered with AccessDeniedException (not enabled)', default: [] as string[] })
}
