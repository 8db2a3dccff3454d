import { textDecoderEncoding } from './decode/guess.js'
import { UsageError } from './errors.js'
import { JOB_OPTIONS, type JobTable } from './options/job.js'
import { defaultsOf, type DefaultsOf, type OptionsOf, type ResolvedOf } from './options/table.js'
import { resolveTable } from './options/validate.js'
import { displayUrl, redactUrlsInText } from './redact.js'
import { parseTemplate, type PromptTemplate } from './summarizers/prompt-template.js'

export { DEFAULT_MODEL, DEFAULT_OPENAI_MODEL, OUTPUT_FORMATS, PROVIDERS, STRATEGIES, type OutputFormat, type Provider, type Strategy } from './options/job.js'

/**
 * Everything a run can be told. Every field is optional; `resolveOptions()` fills the rest.
 * Each field is a row of `JOB_OPTIONS` (src/options/job.ts), which holds its range, default
 * and meaning; the README's options table is generated from the same rows.
 */
export type SummarizeOptions = OptionsOf<JobTable>

/** Values a resolver works out from the options rather than takes from a row. */
interface JobDerived {
  /** Finished records held back waiting for an earlier line; bounds memory in ordered mode. */
  reorderWindow: number
  /** `prompt`, parsed; undefined for the built-in summary prompt. */
  template: PromptTemplate | undefined
  /** `keepColumns`, parsed: every column, none, or these names in the order given. */
  keep: 'all' | 'none' | string[]
}

export type ResolvedOptions = ResolvedOf<JobTable> & JobDerived

export const DEFAULTS: DefaultsOf<JobTable> = defaultsOf(JOB_OPTIONS)

/** The only place defaults are applied and options validated; nothing downstream re-checks. */
export function resolveOptions(options: SummarizeOptions = {}): ResolvedOptions {
  return resolveJobOptions(JOB_OPTIONS, options)
}

/**
 * resolveOptions() over any table that extends the job's: the rows are checked and
 * defaulted by the table, then the rules that span options are applied here. Exported so a
 * test can show that a row added to the table reaches the resolved options.
 */
export function resolveJobOptions<T extends JobTable>(table: T, options: OptionsOf<T>): ResolvedOf<T> & JobDerived {
  const resolved = resolveTable(table, options) as ResolvedOf<JobTable>
  const given = options as SummarizeOptions
  if (resolved.strategy === 'sequential') {
    if (given.concurrency === undefined) resolved.concurrency = 1
    else if (given.concurrency !== 1) throw new RangeError(`--${table.concurrency.flag} must be 1 with --${table.strategy.flag} sequential, got \`${given.concurrency}\``)
  }
  if (resolved.endpointUrl !== undefined && !isHttpUrl(resolved.endpointUrl)) {
    throw new TypeError(`--${table.endpointUrl.flag} must be an http: or https: URL, got \`${resolved.endpointUrl}\``)
  }
  if (resolved.baseUrl !== undefined && !isHttpUrl(resolved.baseUrl)) {
    throw new TypeError(`--${table.baseUrl.flag} must be an http: or https: URL, got \`${redactUrlsInText(resolved.baseUrl)}\``)
  }
  if (resolved.baseUrl !== undefined && hasCredentials(resolved.baseUrl)) {
    throw new TypeError(`--${table.baseUrl.flag} must not hold a user name or password, got \`${displayUrl(resolved.baseUrl)}\` with one: ${CREDENTIALS_HINT}`)
  }
  if (resolved.charset !== undefined) resolved.charset = charsetOption(resolved.charset, table.charset.flag)
  return {
    ...(resolved as ResolvedOf<T>),
    // Enough slack that a slow page rarely stalls the others, small enough to bound memory.
    reorderWindow: Math.max(resolved.concurrency * 8, 256),
    template: resolved.prompt === undefined ? undefined : parseTemplate(resolved.prompt, `--${table.prompt.flag}`),
    keep: parseKeep(resolved.keepColumns, `--${table.keepColumns.flag}`),
  }
}

/** `--keep-columns`: `all`, `none`, or names separated by commas (each kept once, in the order given). */
export function parseKeep(value: string, flag: string): 'all' | 'none' | string[] {
  if (value === 'all' || value === 'none') return value
  const names = value.split(',').map((name) => name.trim())
  if (names.some((name) => name === '')) throw new TypeError(`${flag} must be \`all\`, \`none\` or column names separated by commas, got \`${value}\``)
  return [...new Set(names)]
}

/** A `--charset` value as the WHATWG name of its encoding (`Shift_JIS` → `shift_jis`); TypeError when TextDecoder does not know it. */
export function charsetOption(label: string, flag: string): string {
  const encoding = textDecoderEncoding(label)
  if (encoding === undefined) {
    throw new TypeError(`--${flag} must be a charset TextDecoder knows (an Encoding Standard label such as shift_jis, euc-jp, gbk, big5, euc-kr, windows-1251, koi8-r, windows-1252), got \`${label}\``)
  }
  return encoding
}

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false
  const { protocol } = new URL(value)
  return protocol === 'http:' || protocol === 'https:'
}

/** What to do instead of `user:pass@` in an OpenAI base URL. */
export const CREDENTIALS_HINT = 'the OpenAI client sends a key as a header, never from the URL: put the key in OPENAI_API_KEY and give the URL without it'

/** Whether a URL carries `user:password@` (which the OpenAI client would refuse with an opaque error). */
export function hasCredentials(value: string): boolean {
  if (!URL.canParse(value)) return false
  const url = new URL(value)
  return url.username !== '' || url.password !== ''
}

/** Options errors become usage errors at the CLI boundary (exit code 2, one line). */
export function asUsageError(error: unknown): UsageError | undefined {
  if (error instanceof TypeError || error instanceof RangeError) return new UsageError(error.message)
  return undefined
}
