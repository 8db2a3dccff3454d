/**
 * `--mode online|batch|auto` on the main command: whether the job runs page by page or as
 * `batch run`. Light on purpose: an online run decides here without loading the batch
 * commands or the AWS SDK.
 */
import { resolveBatchOptions } from '../batch/settings.js'
import { UsageError } from '../errors.js'
import { countItems } from '../input/open.js'
import { BATCH_MODE_OPTIONS, BATCH_OPTIONS } from '../options/batch.js'
import { JOB_OPTIONS, type Provider } from '../options/job.js'
import { checkValue } from '../options/validate.js'
import { fromArgs } from '../options/yargs.js'

/** What `--mode` decided; `why` is said on stderr when `auto` did the choosing. */
export interface ModeChoice {
  run: 'online' | 'batch'
  why?: string
}

/**
 * Checks the mode's options and decides. `batch` without what a batch job needs, or with a
 * provider other than Bedrock, is refused before anything runs; `auto` falls back to online
 * for those, and otherwise counts the URL lines (a streaming pass) against the threshold.
 */
export async function chooseMode(input: string, args: Record<string, unknown>): Promise<ModeChoice> {
  const { options, cli } = fromArgs(JOB_OPTIONS, args)
  const mode = cli.mode ?? JOB_OPTIONS.mode.default
  if (mode === 'online') {
    const given = Object.values(BATCH_MODE_OPTIONS).filter((row) => args[row.flag] !== undefined).map((row) => `--${row.flag}`)
    if (given.length > 0) {
      throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'is a batch option' : 'are batch options'}: add --mode batch, or --mode auto to choose by the number of URLs`)
    }
    return { run: 'online' }
  }
  const provider = (options.provider === undefined ? JOB_OPTIONS.provider.default : checkValue(JOB_OPTIONS.provider, options.provider)) as Provider
  const settings = resolveBatchOptions(fromArgs(BATCH_OPTIONS, args).options)
  const missing = [settings.s3 === undefined ? '--s3 URI' : [], settings.roleArn === undefined ? '--role-arn ARN' : []].flat()
  // `auto` counts as Bedrock: --s3 and --role-arn already say a Bedrock batch job is meant.
  const bedrock = provider === 'bedrock' || provider === 'auto'

  if (mode === 'batch') {
    if (!bedrock) throw new UsageError(`--mode batch is Bedrock batch inference and cannot use --provider ${provider}: leave --provider out, or use --mode online`)
    if (missing.length > 0) {
      throw new UsageError(`--mode batch needs ${missing.join(' and ')}: the S3 prefix for the job's files and the IAM role Bedrock assumes to read and write it (see docs/batch.md)`)
    }
    return { run: 'batch' }
  }

  if (!bedrock) return { run: 'online', why: `batch inference is Bedrock's, and --provider is ${provider}` }
  if (missing.length > 0) return { run: 'online', why: `batch needs ${missing.join(' and ')}` }
  if (input === '-') return { run: 'online', why: 'stdin cannot be counted before the run (--mode batch sends it to batch)' }
  const count = (await countItems(input, { format: options.inputFormat ?? 'auto', urlColumn: options.urlColumn })) ?? 0
  // Under the minimum a job would be refused after every page was fetched: never pick it.
  const threshold = cli.batchThreshold ?? JOB_OPTIONS.batchThreshold.default
  const [flag, least] = settings.minRecords > threshold ? ['--min-records', settings.minRecords] : ['--batch-threshold', threshold]
  const lines = `${count} URL line${count === 1 ? '' : 's'}`
  return count >= least ? { run: 'batch', why: `${lines}, at least ${flag} ${least}` } : { run: 'online', why: `${lines}, under ${flag} ${least}` }
}
