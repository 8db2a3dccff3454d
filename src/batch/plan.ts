import { createHash } from 'node:crypto'
import { access, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { openCache } from '../cache/open.js'
import { UsageError } from '../errors.js'
import { jobFileFrom, jobNameFor, newJobFileId, saveJobFile, type JobFile } from './job-file.js'
import { prepare } from './prepare.js'
import { joinS3 } from './s3-uri.js'
import type { BatchSettings } from './settings.js'
import { planJobs, splitRecords } from './split.js'

/** The message for a run under Bedrock's minimum: what happened, and the two ways to run it online. */
export function tooSmallMessage(records: number, minRecords: number, input: string, output?: string): string {
  return (
    `only ${records} record${records === 1 ? '' : 's'} to send, and a Bedrock batch job needs at least ${minRecords} (--min-records); nothing was uploaded. ` +
    `Run it online instead: \`summarize-urls ${input} --provider bedrock${output === undefined ? '' : ` -o ${output}`}\`; or make the batch input file with \`summarize-urls batch prepare ${input} -o records.jsonl\` and run it with \`summarize-urls batch run-local records.jsonl --out-dir out/\``
  )
}

/**
 * Stable across re-runs of the same job file, different for every job: Bedrock's idempotency
 * key. A job submitted again after it failed gets a new one (`resubmission` 1, 2, …): the
 * old token would return the failed job.
 */
export function clientRequestToken(jobFileId: string, index: number, resubmission = 0): string {
  return createHash('sha256').update(resubmission === 0 ? `${jobFileId}:${index}` : `${jobFileId}:${index}:${resubmission}`).digest('hex').slice(0, 64)
}

/**
 * Prepares a run and writes its job file: fetch and extract every page, write the records,
 * refuse a run under the minimum before anything is uploaded, split within the quotas. The
 * job file is written last, atomically: until it exists, a re-run starts over (nothing has
 * left the machine yet); once it exists, every command works from it.
 */
export async function planRun(input: string, settings: BatchSettings, jobFilePath: string, signal?: AbortSignal, output?: string): Promise<JobFile> {
  if (settings.s3 === undefined) throw new UsageError('--s3 is required: the S3 prefix Bedrock reads the inputs from and writes the outputs to (`s3://bucket/prefix/`)')
  if (settings.roleArn === undefined) throw new UsageError('--role-arn is required: the IAM role Bedrock assumes to read and write --s3 (see docs/batch.md)')
  const id = newJobFileId()
  const workDir = `${jobFilePath}.d`
  await rm(workDir, { recursive: true, force: true })
  await mkdir(workDir, { recursive: true })
  const recordsPath = join(workDir, 'records.jsonl')
  const linesPath = join(workDir, 'lines.jsonl')
  const cache = settings.cache ? await openCache(settings) : undefined
  let prepared
  try {
    prepared = await prepare(input, settings, recordsPath, linesPath, signal, cache)
  } finally {
    await cache?.close()
  }
  // Every line answered from the cache: nothing to send, collect writes the records.
  const allCached = prepared.records === 0 && prepared.cached > 0
  // Refused before anything is uploaded: the work folder goes too, so nothing is left behind.
  const refuse = async (message: string): Promise<never> => {
    await rm(workDir, { recursive: true, force: true })
    throw new UsageError(message)
  }
  if (!allCached && prepared.records < settings.minRecords) await refuse(tooSmallMessage(prepared.records, settings.minRecords, input, output))
  const counts = allCached ? [] : planJobs(prepared.records, prepared.bytes, settings)
  const smallest = Math.min(...counts)
  if (smallest < settings.minRecords) {
    await refuse(
      `${prepared.records} records need ${counts.length} jobs within --records-per-job ${settings.recordsPerJob} and --bytes-per-job, and a job of ${smallest} is under --min-records ${settings.minRecords}; nothing was uploaded. Raise --records-per-job, or run part of the list online`,
    )
  }
  const planned = allCached ? [] : await splitRecords(recordsPath, workDir, counts, settings)
  await rm(recordsPath)
  const base = joinS3(settings.s3, `summarize-urls-${id}`)
  const job: JobFile = {
    ...jobFileFrom(id, input, workDir, settings, prepared),
    s3: base,
    roleArn: settings.roleArn,
    linesUri: joinS3(base, 'lines.jsonl'),
    jobs: planned.map((p) => ({
      index: p.index,
      jobName: jobNameFor(id, p.index),
      clientRequestToken: clientRequestToken(id, p.index),
      inputUri: `${joinS3(base, 'input', `job-${String(p.index).padStart(3, '0')}`)}/`,
      outputUri: `${joinS3(base, 'output')}/`,
      files: p.files,
      records: p.records,
      phase: 'queued',
    })),
  }
  await saveJobFile(jobFilePath, job)
  return job
}

export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}
