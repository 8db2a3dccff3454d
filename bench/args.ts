import type { Argv } from 'yargs'
import { fromArgs, yargsOptions } from '../src/options/yargs.js'
import { BENCH_OPTIONS, type BenchOptions } from './options.js'
import { TUNE_OPTIONS, type TuneOptions } from './tune-options.js'

// `bench` and `tune` are derived from their option tables, as every command is: the flags
// here, the checks and defaults in their resolvers (src/options/ words every message).

export { BENCH_OPTIONS } from './options.js'
export { TUNE_OPTIONS } from './tune-options.js'

export function benchArgs<T>(y: Argv<T>) {
  return y.options(yargsOptions(BENCH_OPTIONS))
}

export function tuneArgs<T>(y: Argv<T>) {
  return y.options(yargsOptions(TUNE_OPTIONS))
}

/** The parsed `summarize-urls bench` flags as bench options; unset flags stay unset. */
export function benchOptionsFromArgs(args: Record<string, unknown>): BenchOptions {
  return fromArgs(BENCH_OPTIONS, args).options
}

/** The parsed `summarize-urls tune` flags as tune options; unset flags stay unset. */
export function tuneOptionsFromArgs(args: Record<string, unknown>): TuneOptions {
  return fromArgs(TUNE_OPTIONS, args).options
}
