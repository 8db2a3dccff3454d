import { availableParallelism } from 'node:os'
import { isHttpUrl } from '../src/options.js'
import { computed, defaultsOf, type DefaultsOf, type OptionsOf, type ResolvedOf, type Table } from '../src/options/table.js'
import { resolveTable } from '../src/options/validate.js'
import { CHECKOUT_CORPUS } from './corpus.js'

/** Requests a real endpoint may get without `--yes`: enough to check that it answers. */
const FREE_REQUESTS = 20

/** What `--quick` changes when the option is left unset (threads: 1 and the cores). */
export const TUNE_QUICK = { concurrency: [1, 4, 16, 64], rounds: 2 } as const

const EMULATOR = 'Emulator:'
const REAL = 'Real endpoint:'

function threadGrid(quick: boolean): number[] {
  const cores = availableParallelism()
  return [...new Set(quick ? [1, cores] : [1, 2, cores])].sort((a, b) => a - b)
}

/**
 * `summarize-urls tune`'s options: its flags, and `TuneOptions` for `runTune()`. Checked and
 * worded by the same module as the job's (src/options/). Grids are swept in ascending order.
 */
export const TUNE_OPTIONS = {
  threads: {
    flag: 'threads', kind: 'list', item: { kind: 'integer', min: 1, max: 256 }, sorted: true,
    default: computed(() => threadGrid(false), '1, 2 and the number of cores'), defaultNote: '1 and the cores with `--quick`', help: 'pool thread counts to try (list)',
  },
  concurrency: {
    flag: 'concurrency', kind: 'list', item: { kind: 'integer', min: 1, max: 10_000 }, sorted: true,
    default: [1, 2, 4, 8, 16, 32, 64], defaultNote: `\`${TUNE_QUICK.concurrency.join(',')}\` with \`--quick\``, help: 'in-flight pages to try (list)',
  },
  quick: { flag: 'quick', kind: 'boolean', default: false, help: `a smaller grid (concurrency ${TUNE_QUICK.concurrency.join(',')}, threads 1 and cores) and fewer rounds` },
  rounds: {
    flag: 'rounds', kind: 'integer', min: 1, max: 1000, default: 4, defaultNote: `\`${TUNE_QUICK.rounds}\` with \`--quick\``,
    help: 'rounds of model calls per setting: pages = rounds × concurrency',
  },
  corpus: { flag: 'corpus', kind: 'path', arg: 'DIR', defaultText: `\`${CHECKOUT_CORPUS}\` in a checkout, else \`samples/pages\``, help: 'folder of pages to serve' },
  latencyMs: { flag: 'latency-ms', kind: 'number', min: 0, max: 600_000, unit: 'milliseconds', default: 800, group: EMULATOR, help: 'emulator model latency per call' },
  // At most --latency-ms: a cross-option rule of resolveTuneOptions().
  jitterMs: { flag: 'jitter-ms', kind: 'number', min: 0, max: 600_000, unit: 'milliseconds', defaultText: '10% of `--latency-ms`', group: EMULATOR, help: 'emulator latency spread' },
  emulatorRpm: { flag: 'emulator-rpm', kind: 'integer', min: 1, max: 100_000_000, defaultText: 'no limit', group: EMULATOR, help: 'simulate a requests-per-minute quota (429 past it)' },
  emulatorTpm: { flag: 'emulator-tpm', kind: 'integer', min: 1, max: 10_000_000_000, defaultText: 'no limit', group: EMULATOR, help: 'simulate a tokens-per-minute quota' },
  emulatorMaxConcurrency: { flag: 'emulator-max-concurrency', kind: 'integer', min: 1, max: 100_000, defaultText: 'no limit', group: EMULATOR, help: 'simulate a cap on calls in flight' },
  throttleRate: { flag: 'throttle-rate', kind: 'number', min: 0, max: 1, arg: 'P', defaultText: '`0`', group: EMULATOR, help: 'fraction of calls the emulator throttles at random' },
  endpointUrl: { flag: 'endpoint-url', kind: 'string', arg: 'URL', group: REAL, help: 'tune against this Bedrock Runtime endpoint instead of a spawned emulator' },
  provider: {
    flag: 'provider', kind: 'enum', values: ['bedrock', 'openai'], expected: 'bedrock or openai (or left out for the emulator)', defaultText: 'the emulator', group: REAL,
    help: '`bedrock`: tune against Amazon Bedrock itself (costs money); `openai`: against OpenAI or `--base-url`',
  },
  baseUrl: { flag: 'base-url', kind: 'string', arg: 'URL', group: REAL, help: 'with `--provider openai`: the OpenAI-compatible server (else `OPENAI_BASE_URL`, then OpenAI\'s)' },
  model: { flag: 'model', kind: 'string', arg: 'ID', group: REAL, help: 'model id for a real endpoint' },
  region: { flag: 'region', kind: 'string', arg: 'R', group: REAL, help: 'AWS region for a real endpoint' },
  profile: { flag: 'profile', kind: 'string', arg: 'P', group: REAL, help: 'AWS profile for a real endpoint' },
  yes: { flag: 'yes', kind: 'boolean', default: false, group: REAL, help: `allow more than ${FREE_REQUESTS} requests to a real (billed) endpoint` },
  json: { flag: 'json', kind: 'path', arg: 'FILE', help: 'write the sweep as JSON to this file' },
} as const satisfies Table

export type TuneTable = typeof TUNE_OPTIONS

/** Everything `summarize-urls tune` can be told. Every field is optional; `resolveTuneOptions()` fills the rest. */
export type TuneOptions = OptionsOf<TuneTable>

type EndpointKey = 'endpointUrl' | 'provider' | 'baseUrl' | 'model' | 'region' | 'profile'

export type ResolvedTuneOptions = Omit<ResolvedOf<TuneTable>, EndpointKey | 'jitterMs'> & {
  jitterMs: number
  /** Where model calls go: the spawned emulator, or a real endpoint (billed unless it is on this machine). */
  target: { kind: 'emulator' } | { kind: 'endpoint'; provider: 'bedrock' | 'openai'; endpointUrl: string | undefined; baseUrl: string | undefined; model: string | undefined; region: string | undefined; profile: string | undefined; billed: boolean }
}

export const TUNE_DEFAULTS: DefaultsOf<TuneTable> & { freeRequests: number } = { ...defaultsOf(TUNE_OPTIONS), freeRequests: FREE_REQUESTS }

/** 127.0.0.0/8, ::1 and localhost: an endpoint on this machine bills nobody. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The only place tune defaults are applied and tune options validated. */
export function resolveTuneOptions(options: TuneOptions = {}): ResolvedTuneOptions {
  const { endpointUrl, provider, baseUrl, model, region, profile, ...resolved } = resolveTable(TUNE_OPTIONS, options)
  if (resolved.quick) {
    if (options.threads === undefined) resolved.threads = threadGrid(true)
    if (options.concurrency === undefined) resolved.concurrency = [...TUNE_QUICK.concurrency]
    if (options.rounds === undefined) resolved.rounds = TUNE_QUICK.rounds
  }
  const jitterMs = resolved.jitterMs ?? Math.round(resolved.latencyMs / 10)
  if (jitterMs > resolved.latencyMs) throw new TypeError(`--jitter-ms must be a number of milliseconds from 0 to --latency-ms, got \`${jitterMs}\``)
  if (endpointUrl !== undefined && !isHttpUrl(endpointUrl)) throw new TypeError(`--endpoint-url must be an http: or https: URL, got \`${endpointUrl}\``)
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) throw new TypeError(`--base-url must be an http: or https: URL, got \`${baseUrl}\``)
  if (baseUrl !== undefined && provider !== 'openai') throw new RangeError('--base-url needs --provider openai')
  const real = endpointUrl !== undefined || provider !== undefined
  for (const key of ['emulatorRpm', 'emulatorTpm', 'emulatorMaxConcurrency', 'throttleRate'] as const) {
    if (real && options[key] !== undefined) {
      throw new RangeError(`--${TUNE_OPTIONS[key].flag} shapes the spawned emulator; it cannot be used with --${TUNE_OPTIONS.endpointUrl.flag} or --${TUNE_OPTIONS.provider.flag}`)
    }
  }
  return {
    ...resolved,
    jitterMs,
    target: real
      ? {
          kind: 'endpoint',
          provider: provider ?? 'bedrock',
          endpointUrl,
          baseUrl,
          model,
          region,
          profile,
          billed: provider === 'openai' ? baseUrl === undefined || !isLoopbackUrl(baseUrl) : endpointUrl === undefined || !isLoopbackUrl(endpointUrl),
        }
      : { kind: 'emulator' },
  }
}
