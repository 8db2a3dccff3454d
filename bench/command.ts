import type { Writable } from 'node:stream'
import { benchOptionsFromArgs, tuneOptionsFromArgs } from './args.js'
import { runBench } from './bench.js'
import { runTune } from './tune.js'

// The CLI's one way into the harness (src/cli/main.ts imports this module lazily): the
// options of `bench` and `tune` for yargs, and the commands themselves.
export { BENCH_OPTIONS, benchArgs, TUNE_OPTIONS, tuneArgs } from './args.js'

export interface CommandIO {
  stdout: Writable
  stderr: Writable
  signal: AbortSignal
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
