/**
 * One handler per `batch` action, each with the usage, options and examples its --help
 * shows. The flags are parsed and resolved once, in batch.ts (BatchContext).
 */
import { createReadStream } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { ListModelInvocationJobsCommand, StopModelInvocationJobCommand } from '@aws-sdk/client-bedrock'
import type { AwsClients } from '../batch/aws.js'
import { collect } from '../batch/collect.js'
import { costLine } from '../batch/cost.js'
import { savingsLine } from '../cache/savings.js'
import { isLocalJob, loadJobFile, saveJobFile, type JobFile, type LineInfo } from '../batch/job-file.js'
import type { OnlineSettings } from '../batch/online.js'
import { exists, planRun } from '../batch/plan.js'
import { prepareFile } from '../batch/prepare-file.js'
import { recordIdOf } from '../batch/record-id.js'
import { endedBadly, requeueFailed } from '../batch/resubmit.js'
import { runLocal } from '../batch/run-local.js'
import type { BatchSettings } from '../batch/settings.js'
import { advance, uploadAll } from '../batch/submit.js'
import { progressLine, progressOf, waitForJobs } from '../batch/wait.js'
import { UsageError } from '../errors.js'
import type { BatchTable } from '../options/batch.js'
import { safeLine } from '../output/control-chars.js'
import type { BatchContext } from './batch.js'
import { EXIT } from './exit-codes.js'

type Key = keyof BatchTable

export interface BatchAction {
  describe: string
  positional?: { name: string; describe: string }
  /** The flags this action reads: its --help shows these (the others are accepted, hidden). */
  options: readonly Key[]
  examples: ReadonlyArray<readonly [string, string]>
  run(context: BatchContext): Promise<number>
}

const AWS: readonly Key[] = ['region', 'profile', 'endpointUrl', 's3EndpointUrl']
const PAGES: readonly Key[] = ['model', 'invocationType', 'maxChars', 'maxInputChars', 'concurrency', 'threads', 'fetchTimeoutMs', 'maxPageBytes', 'maxRedirects', 'denyPrivate', 'userAgent']
const ONLINE: readonly Key[] = ['runtimeEndpointUrl', 'concurrency', 'rpm', 'tpm', 'retries', 'modelTimeoutMs']
const SPLIT: readonly Key[] = ['s3', 'roleArn', 'minRecords', 'recordsPerFile', 'bytesPerFile', 'recordsPerJob', 'bytesPerJob', 'maxJobs', 'timeoutHours', 'pollIntervalMs']
const ROLE = '--s3 s3://my-bucket/summaries/ --role-arn arn:aws:iam::123456789012:role/BedrockBatch'

const ACTION_TABLE = {
  run: {
    describe: 'prepare the pages, upload, submit, wait and collect: half price, one command. Run again, it carries on from its job file (and resubmits jobs that failed)',
    positional: { name: 'list', describe: 'the URL list (one URL a line)' },
    options: [...AWS, ...PAGES, ...SPLIT, ...ONLINE, 'jobFile', 'out', 'format', 'retryFailedOnline', 'priceInput', 'priceOutput', 'quiet'],
    examples: [[`$0 batch run urls.txt ${ROLE} -o out.jsonl`, 'the job file is out.jsonl.batch.json']],
    run: (context) => runOrSubmit(context, 'run'),
  },
  submit: {
    describe: 'as run, but return once the jobs are submitted; then status and collect',
    positional: { name: 'list', describe: 'the URL list (one URL a line)' },
    options: [...AWS, ...PAGES, ...SPLIT, 'jobFile', 'out', 'quiet'],
    examples: [[`$0 batch submit urls.txt ${ROLE} -o out.jsonl`, 'prints the job file: out.jsonl.batch.json']],
    run: (context) => runOrSubmit(context, 'submit'),
  },
  prepare: {
    describe: 'fetch and extract the pages and write the Bedrock batch input file, with no AWS settings and nothing uploaded',
    positional: { name: 'list', describe: 'the URL list (one URL a line)' },
    options: [...PAGES, 'out', 'jobFile', 'quiet'],
    examples: [[`$0 batch prepare urls.txt -o records.jsonl`, 'then run-local records.jsonl, or upload it yourself']],
    run: prepareAction,
  },
  status: {
    describe: 'where the jobs of a job file stand, each with the reason Bedrock gave when one failed',
    positional: { name: 'job-file', describe: 'the job file (or --job-file)' },
    options: [...AWS, 'jobFile', 'wait', 'pollIntervalMs', 'quiet'],
    examples: [['$0 batch status out.jsonl.batch.json --wait', 'poll until every job has ended']],
    run: statusAction,
  },
  collect: {
    describe: "download the jobs' outputs (or read run-local's) and write one record per input line with its URL, in input order",
    positional: { name: 'job-file', describe: 'the job file (or --job-file)' },
    options: [...AWS, ...ONLINE, 'jobFile', 'out', 'format', 'retryFailedOnline', 'priceInput', 'priceOutput', 'quiet'],
    examples: [['$0 batch collect out.jsonl.batch.json -o out.jsonl', 'the records, as the online path writes them']],
    run: collectAction,
  },
  stop: {
    describe: 'stop the jobs of a job file (the records they finished stay collectable)',
    positional: { name: 'job-file', describe: 'the job file (or --job-file)' },
    options: [...AWS, 'jobFile', 'quiet'],
    examples: [['$0 batch stop out.jsonl.batch.json', '']],
    run: stopAction,
  },
  list: {
    describe: 'your summarize-urls batch jobs in the region, newest first',
    options: ['region', 'profile', 'endpointUrl'],
    examples: [['$0 batch list --region us-east-1', '']],
    run: listAction,
  },
  'run-local': {
    describe: 'run a Bedrock batch input file through the online API and write what Bedrock would (<file>.out, manifest.json.out); a file from prepare keeps its URLs, and collect reads the outputs',
    positional: { name: 'input-file', describe: 'a Bedrock batch input file (.jsonl), e.g. from batch prepare' },
    options: ['model', 'invocationType', 'region', 'profile', 'endpointUrl', ...ONLINE, 'outDir', 'jobFile', 'quiet'],
    examples: [['$0 batch run-local records.jsonl --out-dir out/', 'then: batch collect records.jsonl.batch.json -o summaries.jsonl']],
    run: runLocalAction,
  },
} satisfies Record<string, BatchAction>

export type BatchActionName = keyof typeof ACTION_TABLE
export const ACTIONS: Record<BatchActionName, BatchAction> = ACTION_TABLE

async function runOrSubmit(context: BatchContext, action: 'run' | 'submit'): Promise<number> {
  const { settings, say, jobFilePath, signal } = context
  const input = context.needTarget('the URL list')
  // A job file already there is this run, interrupted or ended: carry on from it rather than prepare again.
  const resumed = await exists(jobFilePath)
  const job = resumed ? await loadJobFile(jobFilePath) : await planRun(input, settings, jobFilePath, signal, context.cli.out)
  if (isLocalJob(job)) {
    throw new UsageError(`\`${jobFilePath}\` was written by \`batch prepare\` (nothing in S3): run it with \`summarize-urls batch run-local\`, or give \`batch ${action}\` another --job-file`)
  }
  const fromCache = (job.cached ?? 0) > 0 ? `, ${job.cached} lines answered from the cache` : ''
  say(resumed ? `carrying on with ${jobFilePath}` : `${job.records} records in ${job.jobs.length} job${job.jobs.length === 1 ? '' : 's'}${fromCache}, ${linesFailed(job.preModelErrors.length)} before the model; job file ${jobFilePath}`)
  const requeued = requeueFailed(job)
  if (requeued.length > 0) {
    // Said even with --quiet: a new job is a new charge.
    for (const entry of requeued) {
      context.io.stderr.write(`summarize-urls batch: ${safeLine(`job ${entry.jobName} ended ${entry.status ?? ''}${entry.message === undefined ? '' : ` (${entry.message})`}: submitting it again as a new job, with a new clientRequestToken`)}\n`)
    }
    await saveJobFile(jobFilePath, job)
  }
  const aws = context.clients(job)
  try {
    await uploadAll(job, jobFilePath, aws, signal)
    if (action === 'submit') {
      await advance(job, jobFilePath, aws, signal)
      say(progressLine(progressOf(job)))
      context.io.stdout.write(`${jobFilePath}\n`)
      return EXIT.OK
    }
    await waitForJobs(job, jobFilePath, aws, waitOptions(context))
    return await collectAndReport(context, job, aws)
  } finally {
    aws.close()
  }
}

async function prepareAction(context: BatchContext): Promise<number> {
  const input = context.needTarget('the URL list')
  const out = context.cli.out
  if (out === undefined) throw new UsageError('batch prepare needs -o FILE.jsonl: where the Bedrock batch input file goes')
  const jobFile = context.cli.jobFile ?? `${out}.batch.json`
  const job = await prepareFile(input, context.settings, out, jobFile, context.signal)
  context.say(`${job.records} records in ${out}, ${linesFailed(job.preModelErrors.length)} before the model; job file ${jobFile}`)
  context.say(`next: \`summarize-urls batch run-local ${out} --out-dir DIR\`, then \`summarize-urls batch collect ${jobFile} -o summaries.jsonl\` (or upload ${out} as a Bedrock batch job's input)`)
  context.io.stdout.write(`${out}\n`)
  return EXIT.OK
}

async function runLocalAction(context: BatchContext): Promise<number> {
  const { settings, cli, say } = context
  if (cli.outDir === undefined) throw new UsageError('batch run-local needs --out-dir DIR: where `<file>.jsonl.out` and `manifest.json.out` go')
  const input = context.needTarget('a Bedrock batch input file')
  // The job file `batch prepare` wrote beside the input: its lines give each record its URL.
  const jobFilePath = cli.jobFile ?? `${input}.batch.json`
  const job = (await exists(jobFilePath)) ? await loadJobFile(jobFilePath) : undefined
  const entry = job !== undefined && isLocalJob(job) && job.jobs[0]?.files[0]?.name === basename(input) ? job.jobs[0] : undefined
  const urls = job !== undefined && entry !== undefined ? await urlsOf(job) : undefined
  const online = onlineSettings(settings, job?.region, entry === undefined ? settings.modelInvocationType : (job?.modelInvocationType ?? settings.modelInvocationType), entry === undefined ? settings.model : job?.model)
  const manifest = await runLocal(input, cli.outDir, online, context.signal, urls)
  say(`${manifest.successRecordCount} of ${manifest.totalRecordCount} records ok, ${manifest.errorRecordCount} errors; outputs in ${cli.outDir}`)
  if (job !== undefined && entry !== undefined) {
    Object.assign(entry, { localOutDir: resolve(cli.outDir), phase: 'ended', status: manifest.errorRecordCount === 0 ? 'Completed' : 'PartiallyCompleted', processed: manifest.processedRecordCount })
    await saveJobFile(jobFilePath, job)
    say(`next: \`summarize-urls batch collect ${jobFilePath} -o summaries.jsonl\` for one record per input line, with its URL`)
  }
  return manifest.errorRecordCount === 0 ? EXIT.OK : EXIT.PAGES_FAILED
}

/** recordId → URL, from the lines `batch prepare` kept in the job's work folder. */
async function urlsOf(job: JobFile): Promise<Map<string, string>> {
  const urls = new Map<string, string>()
  const path = join(job.workDir, 'lines.jsonl')
  if (!(await exists(path))) return urls
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.trim() === '') continue
    const info = JSON.parse(line) as LineInfo
    urls.set(recordIdOf(info.line), info.url)
  }
  return urls
}

async function listAction(context: BatchContext): Promise<number> {
  const aws = context.clients()
  try {
    const listed = await aws.bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'summarize-urls', sortOrder: 'Descending' }), { abortSignal: context.signal })
    for (const job of listed.invocationJobSummaries ?? []) {
      const counts = job.totalRecordCount === undefined ? '' : ` ${job.processedRecordCount ?? 0}/${job.totalRecordCount}`
      context.io.stdout.write(`${job.jobArn ?? ''}\t${job.jobName ?? ''}\t${job.status ?? ''}${counts}\t${job.submitTime?.toISOString() ?? ''}\n`)
    }
  } finally {
    aws.close()
  }
  return EXIT.OK
}

/** The job file the action works on, with AWS clients for it; closed by `use`'s end. */
async function withJobFile(context: BatchContext, use: (job: JobFile, path: string, aws: AwsClients) => Promise<number>): Promise<number> {
  const path = context.cli.jobFile ?? context.needTarget('the job file')
  const job = await loadJobFile(path)
  const aws = context.clients(job)
  try {
    return await use(job, path, aws)
  } finally {
    aws.close()
  }
}

function statusAction(context: BatchContext): Promise<number> {
  return withJobFile(context, async (job, path, aws) => {
    const out = context.io.stdout
    if (context.cli.wait === true && !isLocalJob(job)) {
      out.write(`${progressLine(await waitForJobs(job, path, aws, waitOptions(context)))}\n`)
    } else {
      if (!isLocalJob(job)) await advance(job, path, aws, context.signal)
      out.write(`${progressLine(progressOf(job))}\n`)
      for (const entry of job.jobs) out.write(`${entry.jobName}\t${entry.jobArn ?? '-'}\t${entry.phase === 'queued' ? 'queued' : (entry.status ?? '')}\t${entry.processed ?? 0}/${entry.records}${entry.message === undefined ? '' : `\t${safeLine(entry.message)}`}\n`)
    }
    for (const line of endedBadly(job)) out.write(`${safeLine(line)}\n`)
    return EXIT.OK
  })
}

function stopAction(context: BatchContext): Promise<number> {
  return withJobFile(context, async (job, path, aws) => {
    for (const entry of job.jobs) {
      if (entry.phase === 'queued') Object.assign(entry, { phase: 'ended', status: 'Stopped' })
      else if (entry.phase === 'submitted' && entry.jobArn !== undefined) {
        await aws.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: entry.jobArn }), { abortSignal: context.signal }).catch((error: unknown) => {
          // Already ended: nothing to stop.
          if ((error as { name?: unknown }).name !== 'ConflictException') throw error
        })
      }
    }
    await saveJobFile(path, job)
    await advance(job, path, aws, context.signal)
    context.say(progressLine(progressOf(job)))
    return EXIT.OK
  })
}

function collectAction(context: BatchContext): Promise<number> {
  return withJobFile(context, async (job, path, aws) => {
    if (isLocalJob(job)) {
      const input = job.jobs[0]?.files[0]?.name ?? 'records.jsonl'
      if (job.jobs.some((entry) => entry.localOutDir === undefined)) throw new UsageError(`\`${path}\` has no outputs yet: run \`summarize-urls batch run-local ${input} --out-dir DIR\` first`)
    } else {
      await advance(job, path, aws, context.signal)
      if (job.jobs.some((entry) => entry.phase !== 'ended')) {
        throw new UsageError(`not every job of \`${path}\` has ended (${progressLine(progressOf(job))}); wait with \`summarize-urls batch status ${path} --wait\`, or stop them`)
      }
    }
    return await collectAndReport(context, job, aws)
  })
}

async function collectAndReport(context: BatchContext, job: JobFile, aws: AwsClients): Promise<number> {
  const { cli, settings, say } = context
  const result = await collect(job, aws, {
    out: cli.out,
    format: context.format,
    stdout: context.io.stdout,
    online: cli.retryFailedOnline === true ? onlineSettings(settings, job.region, job.modelInvocationType, job.model) : undefined,
    prices: { priceInput: settings.priceInput, priceOutput: settings.priceOutput },
    cache: settings.cache ? { cacheDir: settings.cacheDir, cacheMaxBytes: settings.cacheMaxBytes } : undefined,
    signal: context.signal,
  })
  // Shown even with --quiet: each is work paid for and possibly lost, and says where.
  const shown = result.problems.slice(0, PROBLEMS_SHOWN)
  if (result.problems.length > 0) context.io.stderr.write(`summarize-urls batch: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in the batch outputs:\n`)
  for (const problem of shown) context.io.stderr.write(`  ${safeLine(problem.message)}\n`)
  if (result.problems.length > shown.length) context.io.stderr.write(`  … and ${result.problems.length - shown.length} more\n`)
  say(`${result.records} records: ${result.ok} ok, ${result.failed} failed${cli.retryFailedOnline === true ? ` (${result.retried} turned ok online)` : ''}`)
  // Why records failed together, said even with --quiet: the records alone repeat it line after line.
  const badly = endedBadly(job)
  for (const line of badly) context.io.stderr.write(`summarize-urls batch: ${safeLine(line)}\n`)
  if (badly.some((line) => / ended (?:Failed|Expired)/.test(line)) && !isLocalJob(job)) {
    context.io.stderr.write(`summarize-urls batch: \`batch run\` or \`batch submit\` again with this job file submits the failed jobs again; \`batch collect --retry-failed-online\` sends their records through the online API instead\n`)
  }
  const saved = job.cache === true ? `; ${savingsLine({ fromCache: result.cached, pages: result.records, ...result.saved, model: job.model, prices: { priceInput: settings.priceInput, priceOutput: settings.priceOutput }, batch: true })}` : ''
  say(`${costLine(result.cost, result.manifestTokens)}${saved}`)
  return result.failed === 0 ? EXIT.OK : EXIT.PAGES_FAILED
}

/** Problems listed one a line; past this, a count (a damaged object can hold thousands). */
const PROBLEMS_SHOWN = 20

function waitOptions(context: BatchContext): Parameters<typeof waitForJobs>[3] {
  return { pollIntervalMs: context.settings.pollIntervalMs, stderr: context.io.stderr, live: context.io.stderrIsTTY, quiet: context.cli.quiet === true, signal: context.signal }
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

function linesFailed(count: number): string {
  return `${count} line${count === 1 ? '' : 's'} failed`
}
