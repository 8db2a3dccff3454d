import type { Writable } from 'node:stream'
import { UsageError } from '../src/errors.js'
import { runBench } from './bench.js'
import type { BenchOptions } from './options.js'
import { runTune } from './tune.js'
import type { TuneOptions } from './tune-options.js'
import type { StrategyFamily, WorkloadName } from './workloads.js'

// The CLI's one way into the harness (src/cli/main.ts imports this module lazily): the
// options of `bench` and `tune` for yargs, and the commands themselves.
export { benchArgs, tuneArgs } from './args.js'

export interface CommandIO {
  stdout: Writable
  stderr: Writable
  signal: AbortSignal
}

/** `--concurrency 8,16 32` → ['8', '16', '32']: lists take commas, spaces or repeated values. */
function list(value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const values = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(','))
  return values.map((v) => v.trim()).filter((v) => v !== '')
}

/** Numbers of a list flag; the message quotes what was typed. */
function numbers(flag: string, value: unknown): number[] | undefined {
  return list(value)?.map((v) => {
    const n = Number(v)
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`${flag} must be a list of whole numbers, got \`${v}\``)
    return n
  })
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

/** The parsed `summarize-urls bench` flags (yargs camelCase keys) as bench options. */
export function benchOptionsFromArgs(args: Record<string, unknown>): BenchOptions {
  return defined<BenchOptions>({
    workloads: list(args['workload']) as WorkloadName[] | undefined,
    quick: args['quick'] as boolean | undefined,
    timeScale: args['timeScale'] as number | undefined,
    runs: args['runs'] as number | undefined,
    corpus: args['corpus'] as string | undefined,
    pages: args['pages'] as number | undefined,
    concurrency: numbers('--concurrency', args['concurrency']),
    threads: numbers('--threads', args['threads']),
    strategies: list(args['strategy']) as StrategyFamily[] | undefined,
    python: args['python'] as string | undefined,
    json: args['json'] as string | undefined,
    report: args['report'] as string | undefined,
  })
}

/** The parsed `summarize-urls tune` flags as tune options. */
export function tuneOptionsFromArgs(args: Record<string, unknown>): TuneOptions {
  return defined<TuneOptions>({
    threads: numbers('--threads', args['threads']),
    concurrency: numbers('--concurrency', args['concurrency']),
    quick: args['quick'] as boolean | undefined,
    rounds: args['rounds'] as number | undefined,
    corpus: args['corpus'] as string | undefined,
    latencyMs: args['latencyMs'] as number | undefined,
    jitterMs: args['jitterMs'] as number | undefined,
    emulatorRpm: args['emulatorRpm'] as number | undefined,
    emulatorTpm: args['emulatorTpm'] as number | undefined,
    emulatorMaxConcurrency: args['emulatorMaxConcurrency'] as number | undefined,
    throttleRate: args['throttleRate'] as number | undefined,
    endpointUrl: args['endpointUrl'] as string | undefined,
    provider: args['provider'] as string | undefined,
    baseUrl: args['baseUrl'] as string | undefined,
    model: args['model'] as string | undefined,
    region: args['region'] as string | undefined,
    profile: args['profile'] as string | undefined,
    yes: args['yes'] as boolean | undefined,
    json: args['json'] as string | undefined,
  })
}

/** `summarize-urls bench`: 0 when it ran, 130 when interrupted. Options errors surface as usage errors (exit 2). */
export async function runBenchCommand(args: Record<string, unknown>, io: CommandIO): Promise<number> {
  const result = await runBench(benchOptionsFromArgs(args), io)
  return result.interrupted ? 130 : 0
}

/** `summarize-urls tune`: 0 when it ran, 130 when interrupted. */
export async function runTuneCommand(args: Record<string, unknown>, io: CommandIO): Promise<number> {
  const result = await runTune(tuneOptionsFromArgs(args), io)
  return result.interrupted ? 130 : 0
}
