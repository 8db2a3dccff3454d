import { availableParallelism } from 'node:os'
import { INPUT_FORMATS } from '../input/formats.js'
import { VERSION } from '../version.js'
import { awsEndpoint, computed, MIB_AS_BYTES, SECONDS_AS_MS, type Table } from './table.js'

const MIB = 1024 * 1024

export const PROVIDERS = ['auto', 'bedrock', 'openai', 'extractive'] as const
export const STRATEGIES = ['sequential', 'async', 'pool'] as const
export const OUTPUT_FORMATS = ['jsonl', 'csv', 'md', 'parquet'] as const
export const MODES = ['online', 'batch', 'auto'] as const

export type Provider = (typeof PROVIDERS)[number]
export type Strategy = (typeof STRATEGIES)[number]
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]
export type Mode = (typeof MODES)[number]

/** The Bedrock model when `--model` is not given. */
export const DEFAULT_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0'
/** The OpenAI model when `--model` is not given: small, cheap and good at summaries. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini'

/** The --help section of `--mode` and of the batch options the main command takes with it. */
export const MODE_GROUP = 'Online or batch:'

/** The main command's positional argument, for --help and the README. */
export const INPUT = { name: 'input', help: 'file with one URL a line, or a table (`.csv`, `.tsv`, `.jsonl`, `.parquet`); `-` reads stdin' } as const

/**
 * The job's options: the main command's and `demo`'s flags, and `SummarizeOptions` for the
 * library (every row but the CLI-only ones). --help lists them in this order, by group. The
 * library's option name carries its unit (`fetchTimeoutMs`); the flag takes what a person
 * would type (`--fetch-timeout 30`, in seconds).
 */
export const JOB_OPTIONS = {
  inputFormat: {
    flag: 'input-format', kind: 'enum', values: INPUT_FORMATS, default: 'auto', group: 'Input:',
    help: 'how to read the input: `auto` by its extension (`.csv`, `.tsv`, `.jsonl` or `.ndjson`, `.parquet`; anything else, and stdin, is a URL list), or `list`, `csv`, `tsv`, `jsonl`, `parquet`',
  },
  urlColumn: { flag: 'url-column', kind: 'string', arg: 'NAME', defaultText: '`url`', group: 'Input:', help: "a table's column that holds the URLs", details: 'a table without it is refused, naming the columns it has' },
  keepColumns: {
    flag: 'keep-columns', kind: 'string', arg: 'WHICH', default: 'all', group: 'Input:',
    help: "a table's columns carried to each record: `all`, `none`, or names separated by commas",
    details: 'JSONL records hold them in an `input` object; CSV and Parquet put them first, then ours',
  },
  provider: { flag: 'provider', kind: 'enum', values: PROVIDERS, default: 'auto', group: 'Summarizer:', help: 'who writes summaries: `auto` uses `bedrock` when AWS credentials resolve, else `openai` when `OPENAI_API_KEY` or the Azure OpenAI variables are set, else `extractive`' },
  model: {
    // No fixed default: which one depends on the provider, known only once `auto` is resolved.
    flag: 'model', kind: 'string', arg: 'ID', defaultText: `\`${DEFAULT_MODEL}\` (Bedrock), \`${DEFAULT_OPENAI_MODEL}\` (OpenAI)`, group: 'Summarizer:',
    help: 'Bedrock model id or inference profile, or OpenAI model name',
  },
  region: { flag: 'region', kind: 'string', arg: 'R', defaultText: '`AWS_REGION`, then the profile', group: 'Summarizer:', help: 'AWS region' },
  profile: { flag: 'profile', kind: 'string', arg: 'P', defaultText: '`AWS_PROFILE`, then `default`', group: 'Summarizer:', help: 'AWS named profile' },
  endpointUrl: awsEndpoint('endpoint-url', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME', 'Summarizer:', 'Bedrock Runtime endpoint, e.g. the local emulator'),
  baseUrl: {
    flag: 'base-url', kind: 'string', arg: 'URL', defaultText: '`OPENAI_BASE_URL`, then `https://api.openai.com/v1`', group: 'Summarizer:',
    help: 'OpenAI-compatible server (`--provider openai`), e.g. a local one at `http://127.0.0.1:8000/v1`',
  },
  azureDeployment: {
    flag: 'azure-deployment', kind: 'string', arg: 'NAME', defaultText: 'none: not Azure', group: 'Summarizer:',
    help: 'Azure OpenAI deployment to call (`--provider openai`), with `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY` and `OPENAI_API_VERSION`',
  },
  maxChars: {
    flag: 'max-chars', kind: 'integer', min: 0, max: 100_000, default: 150, group: 'Summarizer:',
    help: 'longest reply, in characters; `0`: no cap (with `--prompt`, the template decides)',
    details: 'UTF-16 code units, as JavaScript counts them: never fewer than Unicode characters',
  },
  maxInputChars: {
    flag: 'max-input-chars', kind: 'integer', min: 100, max: 10_000_000, default: 12_000, group: 'Summarizer:',
    help: 'most characters of the page (title and text together) sent to the model', details: 'longer text is cut at a sentence boundary, and the title takes at most half',
  },
  prompt: {
    flag: 'prompt', kind: 'string', arg: 'TEXT', defaultText: 'a summary of the page', group: 'Summarizer:',
    help: 'your instruction to the model, with placeholders `{title}` `{text}` `{url}` `{lang}` `{max_chars}` and `{COLUMN}` for any input column',
    details: 'the page stays fenced as data whatever the template says; `{{` and `}}` are literal braces; see "Your instructions: --prompt"',
  },
  promptFile: { flag: 'prompt-file', kind: 'path', arg: 'FILE', cliOnly: true, defaultText: 'none', group: 'Summarizer:', help: 'read `--prompt` from this file (UTF-8)' },
  retries: { flag: 'retries', kind: 'integer', min: 0, max: 100, default: 5, group: 'Summarizer:', help: 'retries for throttled or failed model calls' },
  modelTimeoutMs: {
    flag: 'model-timeout', kind: 'integer', min: 1, max: 3_600_000, cliUnit: SECONDS_AS_MS, arg: 'S', default: 60 * 1000, // 60 s
    group: 'Summarizer:', help: 'seconds allowed for one model call',
  },
  rpm: { flag: 'rpm', kind: 'integer', min: 1, max: 100_000_000, defaultText: 'no limit', group: 'Rate control:', help: 'model requests per minute for the whole run, every thread included: your quota', details: 'unset, the quota an OpenAI server states in its `x-ratelimit-*` headers is used' },
  tpm: { flag: 'tpm', kind: 'integer', min: 1, max: 10_000_000_000, defaultText: 'no limit', group: 'Rate control:', help: 'model tokens (input + output) per minute for the whole run, every thread included', details: 'unset, learned from OpenAI replies as `--rpm` is' },
  shareRate: {
    flag: 'share-rate', kind: 'boolean', default: true, group: 'Rate control:',
    help: 'runs on this machine against the same model and account pace together: each sends an equal share of the quota they learned',
    details: 'notes under `--cache-dir`; `--no-share-rate` learns alone',
  },
  strategy: { flag: 'strategy', kind: 'enum', values: STRATEGIES, default: 'pool', group: 'Scheduling:', help: 'how pages are scheduled: one page at a time, async on the main thread, or a worker-thread pool' },
  concurrency: {
    // The 1 for sequential is a cross-option rule: resolveOptions() applies it.
    flag: 'concurrency', kind: 'integer', min: 1, max: 10_000, default: 16, defaultNote: '`1` for `sequential`', group: 'Scheduling:',
    help: 'pages in flight at once, in total', details: '`sequential` accepts only 1',
  },
  threads: {
    flag: 'threads', kind: 'integer', min: 1, max: 256, default: computed(availableParallelism, 'number of cores'), group: 'Scheduling:',
    help: 'worker threads for `--strategy pool`', details: 'the other strategies have none and ignore it',
  },
  fetchTimeoutMs: {
    flag: 'fetch-timeout', kind: 'integer', min: 1, max: 3_600_000, cliUnit: SECONDS_AS_MS, arg: 'S', default: 30 * 1000, // 30 s
    group: 'Fetching:', help: 'seconds allowed to fetch one page, redirects included', details: 'connect 10 s, headers 15 s and 15 s between body chunks within it',
  },
  maxPageBytes: {
    flag: 'max-page-bytes', kind: 'integer', min: 1024, max: 1024 * 1024 * 1024, default: 5 * 1024 * 1024, defaultNote: '5 MiB', group: 'Fetching:',
    help: 'largest page accepted, after decompression, in bytes',
  },
  maxPdfBytes: {
    // PDFs carry fonts and images around their text: a 40-page report is often 5-20 MB.
    flag: 'max-pdf-bytes', kind: 'integer', min: 1024, max: 1024 * 1024 * 1024, default: 50 * 1024 * 1024, defaultNote: '50 MiB', group: 'Fetching:',
    help: 'largest PDF accepted, in bytes', details: 'a PDF is read on the worker threads, at most 500 pages or until the text fills `--max-input-chars`',
  },
  charset: {
    flag: 'charset', kind: 'string', arg: 'NAME', defaultText: 'per page: byte order mark, Content-Type, `<meta>`, UTF-8, else guessed from the bytes', group: 'Fetching:',
    help: 'decode every page with this charset, whatever it declares (`shift_jis`, `gbk`, `windows-1251`, …: any label `TextDecoder` knows)',
  },
  maxRedirects: { flag: 'max-redirects', kind: 'integer', min: 0, max: 20, default: 5, group: 'Fetching:', help: 'redirects followed per page', details: 'only to `http:`/`https:`' },
  denyPrivate: {
    flag: 'deny-private', kind: 'boolean', default: false, group: 'Fetching:',
    help: 'refuse pages on loopback, private, link-local, CGNAT, multicast or reserved addresses (checked after DNS and again on every redirect)',
  },
  userAgent: {
    flag: 'user-agent', kind: 'string', arg: 'UA', default: `summarize-urls/${VERSION} (Node.js ${process.version})`, defaultText: '`summarize-urls/<version> (Node.js <version>)`',
    group: 'Fetching:', help: 'User-Agent header sent with page requests',
  },
  cache: {
    flag: 'cache', kind: 'boolean', default: true, group: 'Cache:',
    help: 'keep model replies (keyed by exactly what the model is sent) and page validators across runs; `--no-cache` neither reads nor writes the cache',
  },
  cacheDir: { flag: 'cache-dir', kind: 'path', arg: 'DIR', defaultText: '`$XDG_CACHE_HOME/summarize-urls`, else `~/.cache/summarize-urls`', group: 'Cache:', help: 'where the cache lives; created readable by you only (0700)' },
  cacheMaxBytes: {
    // A weekly crawl of 20,000 pages keeps about 20,000 × (12 KB of text + a reply) ≈ 0.3 GB: a few such lists fit.
    flag: 'cache-max-size', kind: 'integer', min: MIB, max: 1024 * 1024 * MIB, cliUnit: MIB_AS_BYTES, arg: 'MIB', default: 1024 * MIB, group: 'Cache:',
    help: 'largest the cache may grow, in MiB; past it the least recently used entries are removed at the end of a run',
  },
  out: { flag: 'out', alias: 'o', kind: 'path', arg: 'FILE', cliOnly: true, defaultText: 'stdout', group: 'Output:', help: 'write records to this file' },
  format: { flag: 'format', alias: 'f', kind: 'enum', values: OUTPUT_FORMATS, cliOnly: true, defaultText: 'from the `--out` extension, else `jsonl`', group: 'Output:', help: 'record format' },
  resume: { flag: 'resume', kind: 'boolean', cliOnly: true, group: 'Output:', help: 'with `--out FILE.jsonl`: keep its `ok` records (matched by URL, and the cells `--prompt` names), redo the failed lines, do the rest' },
  unordered: { flag: 'unordered', kind: 'boolean', default: false, group: 'Output:', help: 'write records as pages finish instead of in input order' },
  quiet: { flag: 'quiet', alias: 'q', kind: 'boolean', cliOnly: true, group: 'Output:', help: 'no progress or notices on stderr, only errors' },
  // CLI-only: the library's job is the online path; batch is a flow of commands around it.
  mode: {
    flag: 'mode', kind: 'enum', values: MODES, default: 'online', cliOnly: true, group: MODE_GROUP,
    help: '`online` calls the model page by page; `batch` runs `batch run` (half price, hours); `auto` picks `batch` from `--batch-threshold` URLs when `--s3` and `--role-arn` are given, else `online`',
    details: 'with `batch` or `auto` the `batch run` options are taken too (listed under "Online or batch:" in --help)',
  },
  batchThreshold: {
    // Ten times the batch minimum: see docs/batch.md, "Online or batch: --mode", for the arithmetic.
    flag: 'batch-threshold', kind: 'integer', min: 1, max: 10_000_000, default: 1000, cliOnly: true, group: MODE_GROUP,
    help: 'fewest URL lines for which `--mode auto` picks batch', details: 'never fewer than `--min-records`',
  },
} as const satisfies Table

export type JobTable = typeof JOB_OPTIONS
