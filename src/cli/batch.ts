/**
 * `summarize-urls batch ACTION`: Bedrock batch inference at half the on-demand price. Each
 * action is a yargs command of its own (its usage, positional, options and examples, so
 * `batch run-local --help` is about run-local) and a handler in batch-actions.ts. Loaded
 * only when `batch` is on the command line, so other commands never load the S3 and
 * control-plane clients.
 */
import { extname } from 'node:path'
import type { Argv, Options } from 'yargs'
import { openAws, type AwsClients } from '../batch/aws.js'
import { awsFailure } from '../batch/aws-failure.js'
import type { JobFile } from '../batch/job-file.js'
import { resolveBatchOptions, type BatchSettings } from '../batch/settings.js'
import { withPromptFile } from './prompt-file.js'
import { UsageError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import { BATCH_OPTIONS, type BatchTable } from '../options/batch.js'
import type { CliOnlyOf } from '../options/table.js'
import { fromArgs, yargsOptions } from '../options/yargs.js'
import { safeLine } from '../output/control-chars.js'
import { ACTIONS, type BatchAction, type BatchActionName } from './batch-actions.js'
import { EXIT } from './exit-codes.js'
import type { CliIO } from './io.js'

export const BATCH_ACTIONS = Object.keys(ACTIONS) as BatchActionName[]

/** What every action's handler gets: the parsed flags, resolved once, and the command's I/O. */
export interface BatchContext {
  action: BatchActionName
  target: string | undefined
  settings: BatchSettings
  cli: CliOnlyOf<BatchTable>
  io: CliIO
  /** A notice on stderr (none with --quiet). */
  say(line: string): void
  /** The positional, or a usage error saying what was missing. */
  needTarget(what: string): string
  /** `--job-file`, else `<--out>.batch.json`, else `batch-job.json`. */
  jobFilePath: string
  format: OutputFormat
  signal: AbortSignal
  clients(job?: JobFile): AwsClients
}

const BY_EXTENSION: Record<string, OutputFormat> = { '.csv': 'csv', '.md': 'md', '.markdown': 'md', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.parquet': 'parquet' }

/**
 * Registers one command per action under `batch`. Every batch flag is accepted by every
 * action (a script that passes its usual AWS flags to `status` keeps working), but each
 * action's --help shows only the flags it reads. `matched` hears which action ran.
 */
export function batchArgs<T>(y: Argv<T>, matched: (action: BatchActionName) => void): Argv<T> {
  let parser = y
  for (const [name, action] of Object.entries(ACTIONS) as Array<[BatchActionName, BatchAction]>) {
    const shown = new Set<string>(action.options)
    const options: Record<string, Options> = {}
    const all = yargsOptions(BATCH_OPTIONS)
    for (const [key, row] of Object.entries(BATCH_OPTIONS)) {
      const definition = all[row.flag] as Options
      options[row.flag] = shown.has(key) ? definition : { ...definition, hidden: true }
    }
    const usage = action.positional === undefined ? name : `${name} [${action.positional.name}]`
    parser = parser.command(
      usage,
      action.describe,
      (sub: Argv) => {
        let built = sub.options(options) as Argv
        if (action.positional !== undefined) built = built.positional(action.positional.name, { type: 'string', describe: action.positional.describe }) as Argv
        for (const [example, text] of action.examples) built = built.example(example, text)
        return built
      },
      () => matched(name),
    )
  }
  return parser.demandCommand(1, `batch needs an action: ${BATCH_ACTIONS.join(', ')} (summarize-urls batch ACTION --help says what each does)`)
}

export async function runBatchCommand(args: Record<string, unknown>, io: CliIO): Promise<number> {
  try {
    const context = batchContext(args, io)
    return await ACTIONS[context.action].run(context)
  } catch (error) {
    // Ctrl-C (or SIGTERM) stops an action through its signal: what it throws then is the stop
    // itself ("Error: stopped"), not a bug to report.
    if (io.signal.aborted || io.stopSignal?.aborted === true) {
      io.stderr.write(`summarize-urls batch: ${safeLine(String(args['action']))} interrupted: run the same command again to carry on\n`)
      return EXIT.INTERRUPTED
    }
    throw awsFailure(error, String(args['action'])) ?? error
  }
}

function batchContext(args: Record<string, unknown>, io: CliIO): BatchContext {
  const action = args['action'] as BatchActionName
  const positional = ACTIONS[action].positional?.name
  // `--mode batch` hands the main command's input as `target`.
  const target = ((positional === undefined ? undefined : args[positional]) ?? args['target']) as string | undefined
  const { options, cli } = fromArgs(BATCH_OPTIONS, args)
  const settings = resolveBatchOptions(withPromptFile(options, cli.promptFile))
  return {
    action,
    target,
    settings,
    cli,
    io,
    say: (line) => {
      if (cli.quiet !== true) io.stderr.write(`summarize-urls batch: ${safeLine(line)}\n`)
    },
    needTarget: (what) => {
      if (target === undefined) throw new UsageError(`batch ${action} needs ${what}`)
      return target
    },
    jobFilePath: cli.jobFile ?? (cli.out === undefined ? 'batch-job.json' : `${cli.out}.batch.json`),
    format: cli.format ?? (cli.out === undefined ? undefined : BY_EXTENSION[extname(cli.out).toLowerCase()]) ?? 'jsonl',
    signal: io.stopSignal === undefined ? io.signal : AbortSignal.any([io.signal, io.stopSignal]),
    clients: (job) => openAws({ region: settings.region ?? job?.region, profile: settings.profile, endpointUrl: settings.endpointUrl, s3EndpointUrl: settings.s3EndpointUrl }),
  }
}
