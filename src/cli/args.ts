import type { Argv } from 'yargs'
import { DEMO_OPTIONS } from '../options/demo.js'
import { EMULATOR_OPTIONS } from '../options/emulator.js'
import { INPUT, JOB_OPTIONS } from '../options/job.js'
import { terminalText, yargsOptions } from '../options/yargs.js'

// Every command's flags are derived from its option table (src/options/, bench/options.ts,
// bench/tune-options.ts); see src/options/yargs.ts for why they carry no yargs defaults.

/** The main command: the input, and the job's options. */
export function summarizeArgs<T>(y: Argv<T>) {
  return jobOptions(y.positional(INPUT.name, { type: 'string', describe: terminalText(INPUT.help), demandOption: true }))
}

/** The job's options. */
export function jobOptions<T>(y: Argv<T>) {
  return y.options(yargsOptions(JOB_OPTIONS))
}

/** `demo` runs the same job, offline by default. */
export function demoArgs<T>(y: Argv<T>) {
  return y.options(yargsOptions(DEMO_OPTIONS))
}

export function emulatorArgs<T>(y: Argv<T>) {
  return y.options(yargsOptions(EMULATOR_OPTIONS))
}
