/**
 * `summarize-urls batch run|submit|status|collect|stop|list|run-local`: Bedrock batch
 * inference at half the on-demand price. Loaded only when `batch` is on the command line,
 * so other commands never load the S3 and control-plane clients.
 */
import { extname } from 'node:path'
import { ListModelInvocationJobsCommand, StopModelInvocationJobCommand } from '@aws-sdk/client-bedrock'
import type { Argv } from 'yargs'
import { openAws, type AwsClients } from '../batch/aws.js'
import { awsFailure } from '../batch/aws-failure.js'
import { collect } from '../batch/collect.js'
import { costLine } from '../batch/cost.js'
import { savingsLine } from '../cache/savings.js'
import { loadJobFile, saveJobFile, type JobFile } from '../batch/job-file.js'
import type { OnlineSettings } from '../batch/online.js'
import { exists, planRun } from '../batch/plan.js'
import { runLocal } from '../batch/run-local.js'
import { resolveBatchOptions, type BatchSettings } from '../batch/settings.js'
import { advance, uploadAll } from '../batch/submit.js'
import { progressLine, progressOf, waitForJobs } from '../batch/wait.js'
import { UsageError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import { BATCH_OPTIONS } from '../options/batch.js'
import { fromArgs, yargsOptions } from '../options/yargs.js'
import { safeLine } from '../output/control-chars.js'
import { EXIT } from './exit-codes.js'
import type { CliIO } from './io.js'

export const BATCH_ACTIONS = ['run', 'submit', 'status', 'collect', 'stop', 'list', 'run-local'] as const
type Action = (typeof BATCH_ACTIONS)[number]

export function batchArgs<T>(y: Argv<T>) {
  return y
    .positional('action', { choices: BATCH_ACTIONS, describe: 'run: submit, wait and collect; submit: return once submitted; status, collect, stop: of a job file; list: your jobs; run-local: a batch input file through the online API', demandOption: true })
    .positional('target', { type: 'string', describe: 'run, submit: the URL list; status, collect, stop: the job file; run-local: a Bedrock batch input file (.jsonl)' })
    .options(yargsOptions(BATCH_OPTIONS))
    .example('$0 batch run urls.txt --s3 s3://my-bucket/summaries/ --role-arn arn:aws:iam::123456789012:role/BedrockBatch -o out.jsonl', 'half price, one command')
}

const BY_EXTENSION: Record<string, OutputFormat> = { '.csv': 'csv', '.md': 'md', '.markdown': 'md', '.jsonl': 'jsonl', '.ndjson': 'jsonl' }

export async function runBatchCommand(args: Record<string, unknown>, io: CliIO): Promise<number> {
  try {
    return await runAction(args, io)
  } catch (error) {
    throw awsFailure(error, String(args['action'])) ?? error
  }
}

async function runAction(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const action = args['action'] as Action
  const target = args['target'] as string | undefined
  const { options, cli } = fromArgs(BATCH_OPTIONS, args)
  const settings = resolveBatchOptions(options)
  const say = (line: string): void => {
    if (cli.quiet !== true) io.stderr.write(`summarize-urls batch: ${safeLine(line)}\n`)
  }
  const needTarget = (what: string): string => {
    if (target === undefined) throw new UsageError(`batch ${action} needs ${what}`)
    return target
  }
  const jobFilePath = cli.jobFile ?? (cli.out === undefined ? 'batch-job.json' : `${cli.out}.batch.json`)
  const format = cli.format ?? (cli.out === undefined ? undefined : BY_EXTENSION[extname(cli.out).toLowerCase()]) ?? 'jsonl'
  const signal = io.stopSignal === undefined ? io.signal : AbortSignal.any([io.signal, io.stopSignal])

  if (action === 'run-local') {
    if (cli.outDir === undefined) throw new UsageError('batch run-local needs --out-dir DIR: where `<file>.jsonl.out` and `manifest.json.out` go')
    const manifest = await runLocal(needTarget('a Bedrock batch input file'), cli.outDir, onlineSettings(settings, undefined, settings.modelInvocationType), signal)
    say(`${manifest.successRecordCount} of ${manifest.totalRecordCount} records ok, ${manifest.errorRecordCount} errors; outputs in ${cli.outDir}`)
    return manifest.errorRecordCount === 0 ? EXIT.OK : EXIT.PAGES_FAILED
  }

  const clients = (job?: JobFile) => openAws({ region: settings.region ?? job?.region, profile: settings.profile, endpointUrl: settings.endpointUrl, s3EndpointUrl: settings.s3EndpointUrl })
  if (action === 'list') {
    const aws = clients()
    try {
      const listed = await aws.bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'summarize-urls', sortOrder: 'Descending' }), { abortSignal: signal })
      for (const job of listed.invocationJobSummaries ?? []) {
        const counts = job.totalRecordCount === undefined ? '' : ` ${job.processedRecordCount ?? 0}/${job.totalRecordCount}`
        io.stdout.write(`${job.jobArn ?? ''}\t${job.jobName ?? ''}\t${job.status ?? ''}${counts}\t${job.submitTime?.toISOString() ?? ''}\n`)
      }
    } finally {
      aws.close()
    }
    return EXIT.OK
  }

  if (action === 'run' || action === 'submit') {
    const input = needTarget('the URL list')
    // A job file already there is this run, interrupted: carry on from it rather than prepare again.
    const resumed = await exists(jobFilePath)
    const job = resumed ? await loadJobFile(jobFilePath) : await planRun(input, settings, jobFilePath, signal)
    const fromCache = (job.cached ?? 0) > 0 ? `, ${job.cached} lines answered from the cache` : ''
    say(resumed ? `carrying on with ${jobFilePath}` : `${job.records} records in ${job.jobs.length} job${job.jobs.length === 1 ? '' : 's'}${fromCache}, ${job.preModelErrors.length} lines failed before the model; job file ${jobFilePath}`)
    const aws = clients(job)
    try {
      await uploadAll(job, jobFilePath, aws, signal)
      if (action === 'submit') {
        await advance(job, jobFilePath, aws, signal)
        say(progressLine(progressOf(job)))
        io.stdout.write(`${jobFilePath}\n`)
        return EXIT.OK
      }
      await waitForJobs(job, jobFilePath, aws, { pollIntervalMs: settings.pollIntervalMs, stderr: io.stderr, live: io.stderrIsTTY, quiet: cli.quiet === true, signal })
      return await collectAndReport(job, aws)
    } finally {
      aws.close()
    }
  }

  const path = cli.jobFile ?? needTarget('the job file')
  const job = await loadJobFile(path)
  const aws = clients(job)
  try {
    switch (action) {
      case 'status': {
        if (cli.wait === true) {
          const progress = await waitForJobs(job, path, aws, { pollIntervalMs: settings.pollIntervalMs, stderr: io.stderr, live: io.stderrIsTTY, quiet: cli.quiet === true, signal })
          io.stdout.write(`${progressLine(progress)}\n`)
          return EXIT.OK
        }
        await advance(job, path, aws, signal)
        io.stdout.write(`${progressLine(progressOf(job))}\n`)
        for (const entry of job.jobs) io.stdout.write(`${entry.jobName}\t${entry.jobArn ?? '-'}\t${entry.phase === 'queued' ? 'queued' : (entry.status ?? '')}\t${entry.processed ?? 0}/${entry.records}${entry.message === undefined ? '' : `\t${entry.message}`}\n`)
        return EXIT.OK
      }
      case 'stop': {
        for (const entry of job.jobs) {
          if (entry.phase === 'queued') Object.assign(entry, { phase: 'ended', status: 'Stopped' })
          else if (entry.phase === 'submitted' && entry.jobArn !== undefined) {
            await aws.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: entry.jobArn }), { abortSignal: signal }).catch((error: unknown) => {
              // Already ended: nothing to stop.
              if ((error as { name?: unknown }).name !== 'ConflictException') throw error
            })
          }
        }
        await saveJobFile(path, job)
        await advance(job, path, aws, signal)
        say(progressLine(progressOf(job)))
        return EXIT.OK
      }
      case 'collect': {
        await advance(job, path, aws, signal)
        if (job.jobs.some((entry) => entry.phase !== 'ended')) {
          throw new UsageError(`not every job of \`${path}\` has ended (${progressLine(progressOf(job))}); wait with \`summarize-urls batch status ${path} --wait\`, or stop them`)
        }
        return await collectAndReport(job, aws)
      }
    }
  } finally {
    aws.close()
  }

  async function collectAndReport(job: JobFile, aws: AwsClients): Promise<number> {
    const result = await collect(job, aws, {
      out: cli.out,
      format,
      stdout: io.stdout,
      online: cli.retryFailedOnline === true ? onlineSettings(settings, job.region, job.modelInvocationType, job.model) : undefined,
      prices: { priceInput: settings.priceInput, priceOutput: settings.priceOutput },
      signal,
      cache: settings.cache ? { cacheDir: settings.cacheDir, cacheMaxBytes: settings.cacheMaxBytes } : undefined,
    })
    say(`${result.records} records: ${result.ok} ok, ${result.failed} failed${cli.retryFailedOnline === true ? ` (${result.retried} turned ok online)` : ''}`)
    const saved = job.cache === true ? `; ${savingsLine({ fromCache: result.cached, pages: result.records, ...result.saved, model: job.model, prices: { priceInput: settings.priceInput, priceOutput: settings.priceOutput }, batch: true })}` : ''
    say(`${costLine(result.cost)}${saved}`)
    return result.failed === 0 ? EXIT.OK : EXIT.PAGES_FAILED
  }
}

function onlineSettings(settings: BatchSettings, region: string | undefined, type: BatchSettings['modelInvocationType'], model = settings.model): OnlineSettings {
  return {
    modelId: model,
    modelInvocationType: type,
    region: settings.region ?? region ?? process.env['AWS_REGION'] ?? 'us-east-1',
    profile: settings.profile,
    endpointUrl: settings.runtimeEndpointUrl ?? settings.endpointUrl,
    concurrency: settings.concurrency,
    rpm: settings.rpm,
    tpm: settings.tpm,
    retries: settings.retries,
    modelTimeoutMs: settings.modelTimeoutMs,
  }
}
