import { availableParallelism } from 'node:os'
import { isHttpUrl } from '../src/options.js'

/** Everything `summarize-urls tune` can be told. Every field is optional; `resolveTuneOptions()` fills the rest. */
export interface TuneOptions {
  /** Pool thread counts to try. Default 1, 2 and the number of cores. */
  threads?: number[]
  /** In-flight pages to try. Default 1, 2, 4, … 64 (1, 4, 16, 64 with `quick`). */
  concurrency?: number[]
  /** A smaller grid and fewer rounds. Default `false`. */
  quick?: boolean
  /** Rounds of model calls per setting: each runs rounds × concurrency pages. Default 4 (2 with `quick`). */
  rounds?: number
  /** Folder of pages. Default: the 90-page corpus beside a checkout, else the bundled samples. */
  corpus?: string
  /** Emulator: mean model latency per call, in ms. Default 800. */
  latencyMs?: number
  /** Emulator: latency spread, in ms. Default 10% of `latencyMs`. */
  jitterMs?: number
  /** Emulator: a requests-per-minute quota to find. Default none. */
  emulatorRpm?: number
  /** Emulator: a tokens-per-minute quota to find. Default none. */
  emulatorTpm?: number
  /** Emulator: a cap on calls in flight. Default none. */
  emulatorMaxConcurrency?: number
  /** Emulator: share of calls throttled at random, 0 to 1. Default 0. */
  throttleRate?: number
  /** Tune against this Bedrock Runtime endpoint instead of a spawned emulator. Default: the emulator. */
  endpointUrl?: string
  /** `bedrock`: tune against Amazon Bedrock itself; `openai`: against OpenAI or `baseUrl`. Default: the emulator. */
  provider?: string
  /** With `provider: 'openai'`: the OpenAI-compatible server (else `OPENAI_BASE_URL`, then OpenAI's). */
  baseUrl?: string
  model?: string
  region?: string
  profile?: string
  /** Allow more than `TUNE_DEFAULTS.freeRequests` requests to a billed endpoint. Default `false`. */
  yes?: boolean
  /** Write the sweep as JSON to this file. Default none. */
  json?: string
}

export interface ResolvedTuneOptions {
  threads: number[]
  concurrency: number[]
  quick: boolean
  rounds: number
  corpus: string | undefined
  latencyMs: number
  jitterMs: number
  emulatorRpm: number | undefined
  emulatorTpm: number | undefined
  emulatorMaxConcurrency: number | undefined
  throttleRate: number | undefined
  /** Where model calls go: the spawned emulator, or a real endpoint (billed unless it is on this machine). */
  target: { kind: 'emulator' } | { kind: 'endpoint'; provider: 'bedrock' | 'openai'; endpointUrl: string | undefined; baseUrl: string | undefined; model: string | undefined; region: string | undefined; profile: string | undefined; billed: boolean }
  yes: boolean
  json: string | undefined
}

export const TUNE_DEFAULTS = {
  concurrency: [1, 2, 4, 8, 16, 32, 64],
  quickConcurrency: [1, 4, 16, 64],
  rounds: 4,
  quickRounds: 2,
  latencyMs: 800,
  /** Requests a real endpoint may get without `--yes`: enough to check that it answers. */
  freeRequests: 20,
} as const

function describe(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? `\`${String(value)}\`` : `a value of type ${value === null ? 'null' : typeof value}`
}

function integer(flag: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${flag} must be an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

function optionalInteger(flag: string, value: unknown, min: number, max: number): number | undefined {
  return value === undefined ? undefined : integer(flag, value, min, max)
}

function integers(flag: string, values: unknown, min: number, max: number): number[] | undefined {
  if (values === undefined) return undefined
  if (!Array.isArray(values) || values.length === 0) throw new TypeError(`${flag} must be a list of integers from ${min} to ${max}, got ${describe(values)}`)
  return [...new Set(values.map((v) => integer(flag, v, min, max)))].sort((a, b) => a - b)
}

function optionalString(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${flag} must be a non-empty string, got ${describe(value)}`)
  return value.trim()
}

/** 127.0.0.0/8, ::1 and localhost: an endpoint on this machine bills nobody. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The only place tune defaults are applied and tune options validated. */
export function resolveTuneOptions(options: TuneOptions = {}): ResolvedTuneOptions {
  const quick = options.quick === true
  const cores = availableParallelism()
  const latencyMs = options.latencyMs ?? TUNE_DEFAULTS.latencyMs
  if (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs <= 600_000)) throw new TypeError(`--latency-ms must be a number of milliseconds from 0 to 600000, got ${describe(latencyMs)}`)
  const jitterMs = options.jitterMs ?? Math.round(latencyMs / 10)
  if (typeof jitterMs !== 'number' || !(jitterMs >= 0 && jitterMs <= latencyMs)) throw new TypeError(`--jitter-ms must be a number of milliseconds from 0 to --latency-ms, got ${describe(jitterMs)}`)
  const throttleRate = options.throttleRate
  if (throttleRate !== undefined && !(typeof throttleRate === 'number' && throttleRate >= 0 && throttleRate <= 1)) {
    throw new TypeError(`--throttle-rate must be a number from 0 to 1, got ${describe(throttleRate)}`)
  }
  const endpointUrl = optionalString('--endpoint-url', options.endpointUrl)
  if (endpointUrl !== undefined && !isHttpUrl(endpointUrl)) throw new TypeError(`--endpoint-url must be an http: or https: URL, got \`${endpointUrl}\``)
  const provider = optionalString('--provider', options.provider)
  if (provider !== undefined && provider !== 'bedrock' && provider !== 'openai') throw new TypeError(`--provider must be bedrock or openai (or left out for the emulator), got \`${provider}\``)
  const baseUrl = optionalString('--base-url', options.baseUrl)
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) throw new TypeError(`--base-url must be an http: or https: URL, got \`${baseUrl}\``)
  if (baseUrl !== undefined && provider !== 'openai') throw new RangeError('--base-url needs --provider openai')
  const real = endpointUrl !== undefined || provider !== undefined
  const emulatorOnly = { '--emulator-rpm': options.emulatorRpm, '--emulator-tpm': options.emulatorTpm, '--emulator-max-concurrency': options.emulatorMaxConcurrency, '--throttle-rate': options.throttleRate }
  for (const [flag, value] of Object.entries(emulatorOnly)) {
    if (real && value !== undefined) throw new RangeError(`${flag} shapes the spawned emulator; it cannot be used with --endpoint-url or --provider bedrock`)
  }
  return {
    threads: integers('--threads', options.threads, 1, 256) ?? [...new Set(quick ? [1, cores] : [1, 2, cores])].sort((a, b) => a - b),
    concurrency: integers('--concurrency', options.concurrency, 1, 10_000) ?? [...(quick ? TUNE_DEFAULTS.quickConcurrency : TUNE_DEFAULTS.concurrency)],
    quick,
    rounds: options.rounds === undefined ? (quick ? TUNE_DEFAULTS.quickRounds : TUNE_DEFAULTS.rounds) : integer('--rounds', options.rounds, 1, 1000),
    corpus: optionalString('--corpus', options.corpus),
    latencyMs,
    jitterMs,
    emulatorRpm: optionalInteger('--emulator-rpm', options.emulatorRpm, 1, 100_000_000),
    emulatorTpm: optionalInteger('--emulator-tpm', options.emulatorTpm, 1, 10_000_000_000),
    emulatorMaxConcurrency: optionalInteger('--emulator-max-concurrency', options.emulatorMaxConcurrency, 1, 100_000),
    throttleRate,
    target: real
      ? {
          kind: 'endpoint',
          provider: provider === 'openai' ? 'openai' : 'bedrock',
          endpointUrl,
          baseUrl,
          model: optionalString('--model', options.model),
          region: optionalString('--region', options.region),
          profile: optionalString('--profile', options.profile),
          billed: provider === 'openai' ? baseUrl === undefined || !isLoopbackUrl(baseUrl) : endpointUrl === undefined || !isLoopbackUrl(endpointUrl),
        }
      : { kind: 'emulator' },
    yes: options.yes === true,
    json: optionalString('--json', options.json),
  }
}
