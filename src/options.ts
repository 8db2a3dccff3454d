import { availableParallelism } from 'node:os'
import { UsageError } from './errors.js'
import { VERSION } from './version.js'

export type Provider = 'auto' | 'bedrock' | 'extractive'
export type Strategy = 'sequential' | 'async' | 'pool'
export type OutputFormat = 'jsonl' | 'csv' | 'md'

export const PROVIDERS: readonly Provider[] = ['auto', 'bedrock', 'extractive']
export const STRATEGIES: readonly Strategy[] = ['sequential', 'async', 'pool']
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'csv', 'md']

export const DEFAULT_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0'

/** Everything a run can be told. Every field is optional; `resolveOptions()` fills the rest. */
export interface SummarizeOptions {
  /** Who writes the summaries. `auto` uses Bedrock when AWS credentials resolve, else `extractive`. Default `'auto'`. */
  provider?: Provider
  /** Bedrock model id or inference profile. Default `anthropic.claude-3-haiku-20240307-v1:0`. */
  model?: string
  /** AWS region. Default: `AWS_REGION`, then the profile's configured region. */
  region?: string
  /** Named profile from the AWS config files. Default: `AWS_PROFILE`, then `default`. */
  profile?: string
  /** Bedrock Runtime endpoint, e.g. the local emulator. Default: the SDK's (which honours `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`). */
  endpointUrl?: string
  /** How pages are scheduled. Default `'pool'`. */
  strategy?: Strategy
  /** Pages in flight at once (fetching or summarizing). Default 16, and 1 for `sequential`. */
  concurrency?: number
  /** Worker threads for the `pool` strategy. Default: the number of cores. */
  threads?: number
  /** Longest summary, in UTF-16 code units (String#length). Default 150. */
  maxChars?: number
  /** Longest page text sent to the summarizer, in characters. Default 12,000. */
  maxInputChars?: number
  /** Write records as pages finish instead of in input order. Default `false`. */
  unordered?: boolean
  /** Retries for throttled or failed model calls. Default 5. */
  retries?: number
  /** Whole-page fetch deadline, redirects included, in ms. Default 30,000 (30 s). */
  fetchTimeoutMs?: number
  /** Time allowed for one model call, in ms. Default 60,000 (60 s). */
  modelTimeoutMs?: number
  /** Largest page body accepted, after decompression, in bytes. Default 5 MiB. */
  maxPageBytes?: number
  /** Redirects followed per page. Default 5. */
  maxRedirects?: number
  /** User-Agent header sent with every page request. Default `summarize-urls/<version>`. */
  userAgent?: string
  /** Model requests per minute allowed across the whole run (every thread). Default: no limit. */
  rpm?: number
  /** Model tokens (input + output) per minute allowed across the whole run. Default: no limit. */
  tpm?: number
  /** Refuse pages whose host resolves to a loopback, private, link-local or otherwise non-public address. Default `false`. */
  denyPrivate?: boolean
}

export interface ResolvedOptions {
  provider: Provider
  model: string
  region: string | undefined
  profile: string | undefined
  endpointUrl: string | undefined
  strategy: Strategy
  concurrency: number
  threads: number
  maxChars: number
  maxInputChars: number
  unordered: boolean
  retries: number
  fetchTimeoutMs: number
  modelTimeoutMs: number
  maxPageBytes: number
  maxRedirects: number
  userAgent: string
  rpm: number | undefined
  tpm: number | undefined
  denyPrivate: boolean
  /** Finished records held back waiting for an earlier line; bounds memory in ordered mode. */
  reorderWindow: number
}

export const DEFAULTS = {
  provider: 'auto',
  model: DEFAULT_MODEL,
  strategy: 'pool',
  concurrency: 16,
  maxChars: 150,
  maxInputChars: 12_000,
  unordered: false,
  retries: 5,
  fetchTimeoutMs: 30 * 1000, // 30 s
  modelTimeoutMs: 60 * 1000, // 60 s
  maxPageBytes: 5 * 1024 * 1024, // 5 MiB
  maxRedirects: 5,
  userAgent: `summarize-urls/${VERSION} (Node.js ${process.version})`,
  denyPrivate: false,
} as const satisfies SummarizeOptions

/** The flag each option is set with on the command line, so messages name what the user typed. */
const FLAGS: Record<keyof SummarizeOptions, string> = {
  provider: '--provider',
  model: '--model',
  region: '--region',
  profile: '--profile',
  endpointUrl: '--endpoint-url',
  strategy: '--strategy',
  concurrency: '--concurrency',
  threads: '--threads',
  maxChars: '--max-chars',
  maxInputChars: '--max-input-chars',
  unordered: '--unordered',
  retries: '--retries',
  fetchTimeoutMs: '--fetch-timeout',
  modelTimeoutMs: '--model-timeout',
  maxPageBytes: '--max-page-bytes',
  maxRedirects: '--max-redirects',
  userAgent: '--user-agent',
  rpm: '--rpm',
  tpm: '--tpm',
  denyPrivate: '--deny-private',
}

/** The only place defaults are applied and options validated; nothing downstream re-checks. */
export function resolveOptions(options: SummarizeOptions = {}): ResolvedOptions {
  const strategy = oneOf(options, 'strategy', STRATEGIES) ?? DEFAULTS.strategy
  const concurrency = integer(options, 'concurrency', 1, 10_000) ?? (strategy === 'sequential' ? 1 : DEFAULTS.concurrency)
  if (strategy === 'sequential' && concurrency !== 1) {
    throw new RangeError(`${FLAGS.concurrency} must be 1 with --strategy sequential, got \`${concurrency}\``)
  }
  const threads = integer(options, 'threads', 1, 256) ?? availableParallelism()
  const endpointUrl = optionalString(options, 'endpointUrl')
  if (endpointUrl !== undefined && !isHttpUrl(endpointUrl)) {
    throw new TypeError(`${FLAGS.endpointUrl} must be an http: or https: URL, got \`${endpointUrl}\``)
  }
  return {
    provider: oneOf(options, 'provider', PROVIDERS) ?? DEFAULTS.provider,
    model: optionalString(options, 'model') ?? DEFAULTS.model,
    region: optionalString(options, 'region'),
    profile: optionalString(options, 'profile'),
    endpointUrl,
    strategy,
    concurrency,
    threads,
    maxChars: integer(options, 'maxChars', 1, 100_000) ?? DEFAULTS.maxChars,
    maxInputChars: integer(options, 'maxInputChars', 100, 10_000_000) ?? DEFAULTS.maxInputChars,
    unordered: boolean(options, 'unordered') ?? DEFAULTS.unordered,
    retries: integer(options, 'retries', 0, 100) ?? DEFAULTS.retries,
    fetchTimeoutMs: integer(options, 'fetchTimeoutMs', 1, 3_600_000) ?? DEFAULTS.fetchTimeoutMs,
    modelTimeoutMs: integer(options, 'modelTimeoutMs', 1, 3_600_000) ?? DEFAULTS.modelTimeoutMs,
    maxPageBytes: integer(options, 'maxPageBytes', 1024, 1024 * 1024 * 1024) ?? DEFAULTS.maxPageBytes,
    maxRedirects: integer(options, 'maxRedirects', 0, 20) ?? DEFAULTS.maxRedirects,
    userAgent: optionalString(options, 'userAgent') ?? DEFAULTS.userAgent,
    rpm: integer(options, 'rpm', 1, 100_000_000),
    tpm: integer(options, 'tpm', 1, 10_000_000_000),
    denyPrivate: boolean(options, 'denyPrivate') ?? DEFAULTS.denyPrivate,
    // Enough slack that a slow page rarely stalls the others, small enough to bound memory.
    reorderWindow: Math.max(concurrency * 8, 256),
  }
}

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false
  const { protocol } = new URL(value)
  return protocol === 'http:' || protocol === 'https:'
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\``
  if (typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``
  return `a value of type ${value === null ? 'null' : typeof value}`
}

function integer(options: SummarizeOptions, key: keyof SummarizeOptions, min: number, max: number): number | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${FLAGS[key]} must be an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

function optionalString(options: SummarizeOptions, key: keyof SummarizeOptions): string | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${FLAGS[key]} must be a non-empty string, got ${describe(value)}`)
  }
  return value.trim()
}

function boolean(options: SummarizeOptions, key: keyof SummarizeOptions): boolean | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new TypeError(`${FLAGS[key]} must be true or false, got ${describe(value)}`)
  return value
}

function oneOf<T extends string>(options: SummarizeOptions, key: keyof SummarizeOptions, allowed: readonly T[]): T | undefined {
  const value = options[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new TypeError(`${FLAGS[key]} must be one of ${allowed.join(', ')}, got ${describe(value)}`)
  }
  return value as T
}

/** Options errors become usage errors at the CLI boundary (exit code 2, one line). */
export function asUsageError(error: unknown): UsageError | undefined {
  if (error instanceof TypeError || error instanceof RangeError) return new UsageError(error.message)
  return undefined
}
