import { existsSync } from 'node:fs'
import { extname } from 'node:path'
import { OutputError, UsageError } from '../errors.js'
import { safeLine } from '../output/control-chars.js'
import { asUsageError, type OutputFormat, type SummarizeOptions } from '../options.js'
import { DEMO_OPTIONS } from '../options/demo.js'
import { EMULATOR_OPTIONS } from '../options/emulator.js'
import { BATCH_MODE_OPTIONS, BATCH_OPTIONS } from '../options/batch.js'
import { CACHE_OPTIONS } from '../options/cache.js'
import { JOB_OPTIONS } from '../options/job.js'
import type { Table } from '../options/table.js'
import { fromArgs, rejectNonNumbers, rejectSwitchValues, yargsOptions } from '../options/yargs.js'
import { VERSION } from '../version.js'
import { demoArgs, emulatorArgs, summarizeArgs } from './args.js'
import { EXIT } from './exit-codes.js'
import type { CliIO } from './io.js'
import type { OutputChoice } from './job.js'
import { COMMAND_LIST, EXAMPLES, rootHelp, USAGE } from './help.js'
import { withPromptFile } from './prompt-file.js'
import { closest } from './suggest.js'

/**
 * The benchmark harness (tinybench, vega, child processes): loaded only when `bench` or
 * `tune` is on the command line, so every other command starts without it. The one import
 * of bench/ from src/ (test/bench-lazy-load.test.ts checks it stays the only one).
 */
const loadHarness = () => import('../../bench/command.js')

/**
 * The whole CLI as a function: parses `argv`, runs the command, and returns the exit code.
 * Usage and configuration problems print one line naming the problem (no stack) and
 * return 2; anything else unexpected prints its stack, because it is a bug.
 */
export async function main(argv: string[], io: CliIO): Promise<number> {
  try {
    return await dispatch(argv, io)
  } catch (error) {
    if (error instanceof OutputError) {
      // A reader that closes the pipe (`| head`) has all it wanted: stop quietly, with the
      // status a shell reports for SIGPIPE. Any other write failure loses records: say so.
      if (error.errno === 'EPIPE') return EXIT.OUTPUT_CLOSED
      io.stderr.write(`summarize-urls: ${safeLine(error.message)}\n`)
      return EXIT.USAGE
    }
    const usage = error instanceof UsageError ? error : asUsageError(error)
    if (usage !== undefined) {
      io.stderr.write(`summarize-urls: ${safeLine(usage.message)}\n`)
      if (usage instanceof UsageWithHelp) io.stderr.write(usage.help.map((line) => `${line}\n`).join(''))
      return EXIT.USAGE
    }
    io.stderr.write(`summarize-urls: unexpected error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return EXIT.USAGE
  }
}

type Command = 'summarize' | 'emulator' | 'demo' | 'bench' | 'tune' | 'batch' | 'cache'
type Parsed = { command: Command; args: Record<string, unknown> } | { command: 'done' }

/** The words that name a command rather than an input file. */
const COMMANDS = ['emulator', 'demo', 'bench', 'tune', 'batch', 'cache'] as const

/** The main command's flags: the job's, and the batch options `--mode batch|auto` takes. */
const SUMMARIZE_OPTIONS: Table = { ...JOB_OPTIONS, ...BATCH_MODE_OPTIONS }

/** The batch commands and their AWS clients: loaded only when `batch` is the command or `--mode` picks it. */
const loadBatch = () => import('./batch.js')

/** What to type first, for someone who typed nothing (the README's two newcomer commands). */
const NO_INPUT = [
  'To start:',
  '  summarize-urls demo                         summarize the bundled sample pages, offline',
  '  summarize-urls urls.txt > summaries.jsonl   summarize the pages listed in urls.txt (one URL a line)',
  'summarize-urls --help lists every command and option.',
]

/** Columns of --help: the terminal's, at most 110 (100 when not a terminal). */
const helpWidth = (): number => Math.min(110, process.stdout.columns ?? 100)

/** A usage error followed by lines of help the CLI wrote itself (so they keep their line breaks). */
class UsageWithHelp extends UsageError {
  constructor(
    message: string,
    readonly help: readonly string[],
  ) {
    super(message)
  }
}

/** What the command yargs matched tells the parse: the command, its option table, a batch action. */
interface Matched {
  command: Command
  /** The table of the command yargs matched: its builder runs before the checks that can fail. */
  table: Table
  batchAction?: string
}

async function parse(argv: string[], io: CliIO): Promise<Parsed> {
  if (answeredAtOnce(argv, io)) return { command: 'done' }
  const rawArgs = argv.map((arg) => (arg === '-' ? STDIN_ARG : arg))
  const matched: Matched = { command: 'summarize', table: SUMMARIZE_OPTIONS }
  const parser = await commandParser(rawArgs, matched)
  let output = ''
  // With a parse callback, yargs hands --help and --version text to us instead of printing and exiting.
  const args = (await parser.parseAsync(rawArgs, {}, (_err, _argv, text) => {
    output = text
  })) as Record<string, unknown>
  if (args['help'] === true || args['version'] === true) {
    io.stdout.write(`${output}\n`)
    return { command: 'done' }
  }
  if (args['input'] === STDIN_ARG) args['input'] = '-'
  if (matched.batchAction !== undefined) args['action'] = matched.batchAction
  rejectNonNumbers(matched.table, args, rawArgs)
  rejectSwitchValues(matched.table, rawArgs)
  return { command: matched.command, args }
}

/** The two commonest asks answered without loading yargs (see help.ts). */
function answeredAtOnce(argv: string[], io: CliIO): boolean {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    io.stdout.write(`${rootHelp(SUMMARIZE_OPTIONS, helpWidth())}\n`)
    return true
  }
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout.write(`${VERSION}\n`)
    return true
  }
  return false
}

/** The yargs parser of every command; the one that matches records itself in `matched`. */
async function commandParser(rawArgs: string[], matched: Matched) {
  const using = <Y>(table: Table, y: Y): Y => {
    matched.table = table
    return y
  }
  const is = (command: Command) => () => {
    matched.command = command
  }
  // yargs only matches a command by its exact word, so this loads the harness whenever it can be needed.
  const harness = rawArgs.some((arg) => arg === 'bench' || arg === 'tune') ? await loadHarness() : undefined
  const batch = rawArgs[0] === 'batch' ? await loadBatch() : undefined
  const cache = rawArgs[0] === 'cache' ? await import('./cache.js') : undefined
  const { default: yargs } = await import('yargs')
  const c = COMMAND_LIST
  let parser = yargs(rawArgs)
    .scriptName('summarize-urls')
    .usage(USAGE)
    .command(c.summarize[0], c.summarize[1], (y) => summarizeArgs(y).options(yargsOptions(BATCH_MODE_OPTIONS)))
    .command(c.emulator[0], c.emulator[1], (y) => emulatorArgs(using(EMULATOR_OPTIONS, y)), is('emulator'))
    .command(c.demo[0], c.demo[1], (y) => demoArgs(using(DEMO_OPTIONS, y)), is('demo'))
    .command(c.bench[0], c.bench[1], (y) => (harness === undefined ? y : harness.benchArgs(using(harness.BENCH_OPTIONS, y))), is('bench'))
    .command(c.tune[0], c.tune[1], (y) => (harness === undefined ? y : harness.tuneArgs(using(harness.TUNE_OPTIONS, y))), is('tune'))
    // Each batch action is a command of its own under `batch` (batch.ts), with its own --help.
    .command(c.batch[0].split(' ')[0] as string, c.batch[1], (y) =>
      batch === undefined
        ? y
        : batch.batchArgs(using(BATCH_OPTIONS, y), (action) => {
            matched.command = 'batch'
            matched.batchAction = action
          }),
    )
    .command(c.cache[0], c.cache[1], (y) => (cache === undefined ? y : cache.cacheArgs(using(CACHE_OPTIONS, y))), is('cache'))
  for (const [example, text] of EXAMPLES) parser = parser.example(example, text)
  return parser
    // A repeated flag takes its last value, as in most tools, instead of becoming an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(helpWidth())
    .exitProcess(false)
    .fail((message, error) => {
      // yargs' own messages span lines ("Invalid values:\n  Argument: …"); ours are one line.
      // Argument errors arrive as a YError or a bare message; anything else is ours to report.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error
      const text = (message ?? error?.message ?? 'invalid arguments').replace(/\s*\n\s*/g, ' ')
      if (matched.table === SUMMARIZE_OPTIONS && text.startsWith('Not enough non-option arguments')) {
        throw new UsageWithHelp(`no input: give a file with one URL a line, or - to read them from stdin`, NO_INPUT)
      }
      throw new UsageError(withSuggestions(text, matched.table, rawArgs))
    })
}

/**
 * yargs' "Unknown argument: threds", with what was most likely meant: a flag of the command
 * for a flag (`--threads`), a command for a word (`emulator`).
 */
function withSuggestions(message: string, table: Table, argv: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message)?.[1]
  if (unknown === undefined) return message
  const flags = Object.values(table).flatMap((row) => [row.flag, ...(row.alias === undefined ? [] : [row.alias])])
  const meant = unknown.split(', ').flatMap((name) => {
    const word = argv.includes(name)
    const match = closest(name, word ? [...COMMANDS] : [...flags, 'help', 'version'])
    if (match === undefined) return []
    return [word ? `the command \`summarize-urls ${match}\`` : `${match.length === 1 ? '-' : '--'}${match}`]
  })
  return meant.length === 0 ? message : `${message}; did you mean ${meant.join(', ')}?`
}

// yargs-parser turns a lone `-` positional into ''; it is swapped for this and back.
const STDIN_ARG = '\u0000stdin'

/**
 * An input file that is not there but reads like a command (`emulatr`: no path separator,
 * no extension, close to a command's name) was most likely meant as the command.
 */
function checkInput(input: string): void {
  if (input === '-' || existsSync(input) || /[/\\.]/.test(input)) return
  const meant = closest(input, COMMANDS)
  if (meant !== undefined) throw new UsageError(`cannot read input \`${input}\`: no such file; did you mean the command \`summarize-urls ${meant}\`?`)
}

// Each command loads its own modules when it runs (the job: undici, the DOM, Readability;
// the emulator: its servers), so `--version` and `--help` pay for none of them.
async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const parsed = await parse(argv, io)
  switch (parsed.command) {
    case 'done':
      return EXIT.OK
    case 'emulator': {
      const { emulatorOptionsFromArgs, runEmulatorCommand } = await import('../emulator/command.js')
      // The emulator has nothing to drain: the first Ctrl-C or SIGTERM stops it.
      return runEmulatorCommand(emulatorOptionsFromArgs(parsed.args), { stdout: io.stdout, stderr: io.stderr }, io.stopSignal === undefined ? io.signal : AbortSignal.any([io.signal, io.stopSignal]))
    }
    case 'demo': {
      const { runDemo } = await import('./demo.js')
      return runDemo(fromArgs(DEMO_OPTIONS, parsed.args).options, output(parsed.args), io)
    }
    case 'bench':
      return (await loadHarness()).runBenchCommand(parsed.args, { stdout: io.stdout, stderr: io.stderr, signal: io.stopSignal ?? io.signal })
    case 'tune':
      return (await loadHarness()).runTuneCommand(parsed.args, { stdout: io.stdout, stderr: io.stderr, signal: io.stopSignal ?? io.signal })
    case 'batch':
      return (await loadBatch()).runBatchCommand(parsed.args, io)
    case 'cache':
      return (await import('./cache.js')).runCacheCommand(parsed.args, io)
    case 'summarize': {
      const input = parsed.args['input'] as string
      checkInput(input)
      const { chooseMode } = await import('./mode.js')
      const choice = await chooseMode(input, parsed.args)
      if (choice.why !== undefined && !output(parsed.args).quiet) io.stderr.write(`summarize-urls: --mode auto chose ${choice.run}: ${safeLine(choice.why)}\n`)
      if (choice.run === 'batch') return (await loadBatch()).runBatchCommand({ ...parsed.args, action: 'run', target: input }, io)
      const { runJob } = await import('./job.js')
      return runJob(input, toOptions(parsed.args), output(parsed.args), io)
    }
  }
}

function output(args: Record<string, unknown>): OutputChoice {
  const { out, format, quiet, resume } = fromArgs(JOB_OPTIONS, args).cli
  const byExtension: Record<string, OutputFormat> = { '.csv': 'csv', '.md': 'md', '.markdown': 'md', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet' }
  return {
    out,
    format: format ?? (out === undefined ? undefined : byExtension[extname(out).toLowerCase()]) ?? 'jsonl',
    quiet: quiet === true,
    resume: resume === true,
  }
}

/** The job's flags as library options, in the library's units; resolveOptions() checks the rest. */
function toOptions(args: Record<string, unknown>): SummarizeOptions {
  const { options, cli } = fromArgs(JOB_OPTIONS, args)
  return withPromptFile(options, cli.promptFile)
}
