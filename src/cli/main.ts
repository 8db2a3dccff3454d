import { createWriteStream, type WriteStream } from 'node:fs'
import { lstat, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { extname } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import yargs from 'yargs'
import { emulatorOptionsFromArgs, runEmulatorCommand } from '../emulator/command.js'
import { OutputError, UsageError } from '../errors.js'
import { countUrls, openInput, readUrlList } from '../input.js'
import { asUsageError, resolveOptions, type OutputFormat, type SummarizeOptions } from '../options.js'
import { JOB_OPTIONS } from '../options/job.js'
import { fromArgs } from '../options/yargs.js'
import { createProgress } from '../output/progress.js'
import { RecordWriter } from '../output/writer.js'
import { runSummaries, type RecordSink, type RunStats } from '../run.js'
import { compactJournal, JournalSink, loadJournal } from '../output/journal.js'
import { resolveSummarizer } from '../summarizers/resolve.js'
import { VERSION } from '../version.js'
import { emulatorArgs, jobOptions, summarizeArgs } from './args.js'
import { benchArgs, tuneArgs } from '../benchmark/args.js'
import { runBenchCommand, runTuneCommand } from '../benchmark/command.js'
import { runDemo } from './demo.js'

export interface CliIO {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** Whether stderr is a terminal (draws the live progress bar). */
  stderrIsTTY: boolean
  /** Aborted on a second Ctrl-C by the bin entry: cancels pages in flight at once. */
  signal: AbortSignal
  /** Aborted on the first Ctrl-C or SIGTERM: no new pages; pages in flight finish (for a short while). */
  stopSignal?: AbortSignal
}

/** Exit codes, as documented in the README. */
export const EXIT = { OK: 0, PAGES_FAILED: 1, USAGE: 2, INTERRUPTED: 130, OUTPUT_CLOSED: 141 } as const

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
      io.stderr.write(`summarize-urls: ${error.message}\n`)
      return EXIT.USAGE
    }
    const usage = error instanceof UsageError ? error : asUsageError(error)
    if (usage !== undefined) {
      io.stderr.write(`summarize-urls: ${usage.message}\n`)
      return EXIT.USAGE
    }
    io.stderr.write(`summarize-urls: unexpected error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return EXIT.USAGE
  }
}

type Parsed = { command: 'summarize' | 'emulator' | 'demo' | 'bench' | 'tune'; args: Record<string, unknown> } | { command: 'done' }

async function parse(argv: string[], io: CliIO): Promise<Parsed> {
  let command: 'summarize' | 'emulator' | 'demo' | 'bench' | 'tune' = 'summarize'
  let output = ''
  const rawArgs = argv.map((arg) => (arg === '-' ? STDIN_ARG : arg))
  const parser = yargs(rawArgs)
    .scriptName('summarize-urls')
    .usage('Summarize every web page in a list of URLs, offline or with Amazon Bedrock.')
    .command('$0 <input>', 'summarize the pages listed in <input> (one URL a line; - for stdin)', (y) => summarizeArgs(y))
    .command('emulator', 'run a local Bedrock Runtime-compatible server for offline development and load tests', (y) => emulatorArgs(y), () => {
      command = 'emulator'
    })
    .command('demo', 'serve the bundled sample pages on 127.0.0.1 and summarize them (offline by default)', (y) =>
      jobOptions(y).option('provider', { defaultDescription: 'extractive (the demo never bills AWS unless asked)' }),
      () => {
        command = 'demo'
      },
    )
    .command('bench', 'benchmark every strategy and its peers (p-limit, Python) on local workloads; prints a table', (y) => benchArgs(y), () => {
      command = 'bench'
    })
    .command('tune', 'sweep --threads and --concurrency, print the best setting and why (Little\'s law, throttling)', (y) => tuneArgs(y), () => {
      command = 'tune'
    })
    .example('$0 urls.txt > summaries.jsonl', 'offline unless AWS credentials are configured')
    .example('$0 urls.txt --provider bedrock --region us-east-1 --out summaries.csv', 'CSV with Claude 3 Haiku on Bedrock')
    .example('cat urls.txt | $0 - --strategy async --concurrency 32', 'read stdin, async strategy')
    .example('$0 emulator --latency-ms 1500', 'local Bedrock for development')
    // A repeated flag takes its last value, as in most tools, instead of becoming an array.
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs' own messages span lines ("Invalid values:\n  Argument: …"); ours are one line.
      // Argument errors arrive as a YError or a bare message; anything else is ours to report.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error
      throw new UsageError((message ?? error?.message ?? 'invalid arguments').replace(/\s*\n\s*/g, ' '))
    })
  // With a parse callback, yargs hands --help and --version text to us instead of printing and exiting.
  const args = (await parser.parseAsync(rawArgs, {}, (_err, _argv, text) => {
    output = text
  })) as Record<string, unknown>
  if (args['help'] === true || args['version'] === true) {
    io.stdout.write(`${output}\n`)
    return { command: 'done' }
  }
  if (args['input'] === STDIN_ARG) args['input'] = '-'
  rejectNonNumbers(args, rawArgs)
  return { command, args }
}

/**
 * yargs turns `--max-chars abc` into NaN; the message should quote what was typed. Keys
 * with a dash are the flags as written (yargs also adds their camelCase twins).
 */
function rejectNonNumbers(args: Record<string, unknown>, argv: string[]): void {
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== 'number' || !Number.isNaN(value) || (key.length > 1 && !/^[a-z]+(-[a-z]+)*$/.test(key))) continue
    const flag = `--${key}`
    const at = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`))
    const raw = at === -1 ? 'NaN' : (argv[at]?.startsWith(`${flag}=`) ? argv[at].slice(flag.length + 1) : argv[at + 1]) ?? ''
    throw new UsageError(`${flag} must be a number, got \`${raw}\``)
  }
}

// yargs-parser turns a lone `-` positional into ''; it is swapped for this and back.
const STDIN_ARG = '\u0000stdin'

async function dispatch(argv: string[], io: CliIO): Promise<number> {
  const parsed = await parse(argv, io)
  switch (parsed.command) {
    case 'done':
      return EXIT.OK
    case 'emulator':
      // The emulator has nothing to drain: the first Ctrl-C or SIGTERM stops it.
      return runEmulatorCommand(emulatorOptionsFromArgs(parsed.args), { stdout: io.stdout, stderr: io.stderr }, io.stopSignal === undefined ? io.signal : AbortSignal.any([io.signal, io.stopSignal]))
    case 'demo':
      return runDemo(toOptions(parsed.args), output(parsed.args), io)
    case 'bench':
      return runBenchCommand(parsed.args, { stdout: io.stdout, stderr: io.stderr, signal: io.stopSignal ?? io.signal })
    case 'tune':
      return runTuneCommand(parsed.args, { stdout: io.stdout, stderr: io.stderr, signal: io.stopSignal ?? io.signal })
    case 'summarize':
      return summarize(parsed.args['input'] as string, toOptions(parsed.args), output(parsed.args), io)
  }
}

export interface OutputChoice {
  out: string | undefined
  format: OutputFormat
  quiet: boolean
  /** Keep the ok records already in `out` and do the rest (`--resume`). */
  resume: boolean
}

function output(args: Record<string, unknown>): OutputChoice {
  const { out, format, quiet, resume } = fromArgs(JOB_OPTIONS, args).cli
  const byExtension: Record<string, OutputFormat> = { '.csv': 'csv', '.md': 'md', '.markdown': 'md', '.jsonl': 'jsonl', '.ndjson': 'jsonl' }
  return {
    out,
    format: format ?? (out === undefined ? undefined : byExtension[extname(out).toLowerCase()]) ?? 'jsonl',
    quiet: quiet === true,
    resume: resume === true,
  }
}

/** The job's flags as library options, in the library's units; resolveOptions() checks the rest. */
function toOptions(args: Record<string, unknown>): SummarizeOptions {
  return fromArgs(JOB_OPTIONS, args).options
}

/** The main job: read the list, run the pipeline, write records, report, and pick the exit code. */
export async function summarize(input: string, options: SummarizeOptions, choice: OutputChoice, io: CliIO, inputStream?: Readable): Promise<number> {
  const resolved = resolveOptions(options)
  if (choice.resume && (choice.out === undefined || choice.format !== 'jsonl')) {
    throw new UsageError(choice.out === undefined ? '--resume needs --out FILE: the file to resume' : `--resume works on JSONL output; \`${choice.out}\` is ${choice.format}`)
  }
  const stream = inputStream ?? (await openInput(input, io.stdin))
  // Everything that can refuse the run is checked before --out is opened, so a bad flag or
  // missing credentials never truncates an earlier output file.
  if (choice.out !== undefined && inputStream === undefined) await refuseOverwritingInput(input, choice.out)
  const { config, notice } = await resolveSummarizer(resolved)
  // A JSONL file is written as a journal: records land as they finish, so a crash keeps all
  // finished work, and the file is put in input order when the run ends.
  // Only a regular file can be appended to, read back and renamed: `--out /dev/stdout` or a
  // FIFO gets the ordered stream writer instead.
  const journal = choice.out !== undefined && choice.format === 'jsonl' && (await isRegularFileOrMissing(choice.out))
  if (choice.resume && !journal) throw new UsageError(`--resume needs --out to be a regular file, not a device or a symlink: \`${choice.out}\``)
  const resumed = choice.resume ? await loadJournal(choice.out as string) : undefined
  let sink: RecordSink & { error?: OutputError | undefined }
  let finish: () => Promise<void>
  let release: () => Promise<void>
  if (journal) {
    const file = new JournalSink(choice.out as string, { fresh: resumed === undefined })
    sink = file
    finish = async () => {}
    release = async () => file.close()
  } else {
    const out = choice.out === undefined ? io.stdout : await openOutput(choice.out)
    const writer = new RecordWriter(out, choice.format, choice.out === undefined ? 'stdout' : `\`${choice.out}\``)
    sink = writer
    finish = () => writer.finish()
    // After a write error the file is already destroyed; closing it again only repeats that error.
    release = async () => {
      if (out !== io.stdout && writer.error === undefined) await closeFile(out as WriteStream)
    }
  }
  if (!choice.quiet) {
    io.stderr.write(`summarize-urls: ${notice}\n`)
    if (resumed !== undefined) {
      io.stderr.write(`summarize-urls: resuming \`${choice.out}\`: ${resumed.done.size} ok ${resumed.done.size === 1 ? 'record' : 'records'} found` + (resumed.tornBytes > 0 ? `, a torn last line (${resumed.tornBytes} bytes) dropped` : '') + '\n')
    }
  }
  const live = io.stderrIsTTY && !choice.quiet
  const progress = createProgress(io.stderr, { quiet: choice.quiet, live })
  progress.start(live && inputStream === undefined ? await countUrls(input) : undefined)
  let stats: RunStats
  // On --resume, the input's lines: records the file holds for other URLs or for lines the
  // input no longer has (a changed list) are dropped when the file is put in order.
  const inputLines = new Map<number, string>()
  try {
    stats = await runSummaries(readUrlList(stream), sink, journal ? { ...resolved, unordered: true } : resolved, config, {
      signal: io.signal,
      ...(io.stopSignal === undefined ? {} : { stopSignal: io.stopSignal }),
      onRecord: (record) => progress.update(record),
      ...(resumed === undefined
        ? {}
        : {
            skip: (item: { line: number; url: string }) => {
              inputLines.set(item.line, item.url)
              return resumed.done.get(item.line) === item.url
            },
          }),
    })
    await finish()
  } finally {
    progress.close()
    await release()
  }
  // Input order once the run is over (the records are all on disk already, so a crash while
  // compacting loses nothing); `--unordered` keeps completion order unless lines were retried.
  if (journal && sink.error === undefined && (!resolved.unordered || resumed !== undefined)) {
    const wholeInput = resumed !== undefined && !stats.interrupted
    await compactJournal(choice.out as string, wholeInput ? (line, url) => inputLines.get(line) === url : undefined)
  }
  progress.stop(stats)
  if (!choice.quiet && stats.breaker !== null) {
    io.stderr.write(`summarize-urls: stopped: every model call failed with ${stats.breaker.code}: ${stats.breaker.message}\n`)
  }
  if (!choice.quiet && (stats.breaker !== null || stats.interrupted)) {
    io.stderr.write(
      choice.out !== undefined && choice.format === 'jsonl'
        ? `summarize-urls: finished pages are in \`${choice.out}\`; to do the rest, run the same command with --resume\n`
        : 'summarize-urls: to make a run resumable, write JSONL to a file: --out FILE.jsonl, then --resume\n',
    )
  }
  if (io.signal.aborted || io.stopSignal?.aborted === true) return EXIT.INTERRUPTED
  return stats.failed === 0 ? EXIT.OK : EXIT.PAGES_FAILED
}

/** A regular file itself, not a symlink to one: `/dev/stdout` links to whatever fd 1 is, and a rename would replace the link. */
async function isRegularFileOrMissing(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined)
  return info === undefined || info.isFile()
}

/** Opening --out truncates it: if it is the URL list itself, the list would be gone before it is read. */
async function refuseOverwritingInput(input: string, out: string): Promise<void> {
  if (input === '-') return
  const [a, b] = await Promise.all([stat(input).catch(() => undefined), stat(out).catch(() => undefined)])
  if (a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino) {
    throw new UsageError(`--out \`${out}\` is the input file: writing it would erase the URL list; choose another path`)
  }
}

async function openOutput(path: string): Promise<WriteStream> {
  const file = createWriteStream(path, { flags: 'w' })
  try {
    await once(file, 'open')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`cannot write --out \`${path}\`: ${code === 'ENOENT' ? 'no such directory' : code}`)
  }
  return file
}

async function closeFile(file: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())))
}
