import { join } from 'node:path'
import { CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from '@aws-sdk/client-bedrock'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import type { AwsClients } from './aws.js'
import { saveJobFile, type BatchJobEntry, type JobFile } from './job-file.js'
import { uploadToS3 } from './s3-upload.js'
import { joinS3, parseS3Uri } from './s3-uri.js'

/** Statuses after which a job changes no more. */
export const END_STATUSES: ReadonlySet<string> = new Set(['Completed', 'PartiallyCompleted', 'Failed', 'Stopped', 'Expired'])

async function uploadFile(clients: AwsClients, path: string, uri: string, bytes: number, signal?: AbortSignal): Promise<void> {
  const target = parseS3Uri(uri) ?? { bucket: '', key: '' }
  // A crash between the upload and the job file's save leaves the object there: it is not sent again.
  const existing = await clients.s3.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key })).catch(() => undefined)
  if (existing?.ContentLength === bytes) return
  await uploadToS3(clients.s3, path, target, { contentType: 'application/jsonl', signal })
}

/** Uploads every file not yet uploaded, saving the job file after each, so a re-run sends only the rest. */
export async function uploadAll(job: JobFile, jobFilePath: string, clients: AwsClients, signal?: AbortSignal): Promise<void> {
  if (!job.linesUploaded) {
    const path = join(job.workDir, 'lines.jsonl')
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(path))
    await uploadFile(clients, path, job.linesUri, size, signal)
    job.linesUploaded = true
    await saveJobFile(jobFilePath, job)
  }
  for (const entry of job.jobs) {
    for (const file of entry.files) {
      if (file.uploaded) continue
      await uploadFile(clients, join(job.workDir, `job-${String(entry.index).padStart(3, '0')}`, file.name), joinS3(entry.inputUri, file.name), file.bytes, signal)
      file.uploaded = true
      await saveJobFile(jobFilePath, job)
    }
  }
}

function isQuotaError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'ServiceQuotaExceededException'
}

/**
 * One step of the run's progress: reads the status of every submitted job, then submits
 * queued jobs while fewer than `maxJobs` are submitted or running. A create carries the
 * job's stable clientRequestToken, so one retried after a crash returns the job it made.
 * Saves the job file when anything changed.
 */
export async function advance(job: JobFile, jobFilePath: string, clients: AwsClients, signal?: AbortSignal): Promise<void> {
  let changed = false
  for (const entry of job.jobs) {
    if (entry.phase !== 'submitted' || entry.jobArn === undefined) continue
    const got = await clients.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: entry.jobArn }), { abortSignal: signal })
    changed ||= got.status !== entry.status || got.processedRecordCount !== entry.processed
    readStatus(entry, got)
  }
  let active = job.jobs.filter((entry) => entry.phase === 'submitted').length
  for (const entry of job.jobs) {
    if (active >= job.settings.maxJobs) break
    if (entry.phase !== 'queued' || entry.files.some((file) => !file.uploaded)) continue
    let jobArn: string | undefined
    try {
      jobArn = (await clients.bedrock.send(createCommand(job, entry), { abortSignal: signal })).jobArn
    } catch (error) {
      // Someone else's jobs hold the quota: this one waits for the next step.
      if (isQuotaError(error)) break
      throw error
    }
    entry.jobArn = jobArn
    entry.phase = 'submitted'
    entry.status = 'Submitted'
    active += 1
    changed = true
    await saveJobFile(jobFilePath, job)
  }
  if (changed) await saveJobFile(jobFilePath, job)
}

function createCommand(job: JobFile, entry: BatchJobEntry): CreateModelInvocationJobCommand {
  return new CreateModelInvocationJobCommand({
    jobName: entry.jobName,
    roleArn: job.roleArn,
    clientRequestToken: entry.clientRequestToken,
    modelId: job.model,
    modelInvocationType: job.modelInvocationType,
    inputDataConfig: { s3InputDataConfig: { s3Uri: entry.inputUri, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: entry.outputUri } },
    timeoutDurationInHours: job.settings.timeoutHours,
  })
}

function readStatus(entry: BatchJobEntry, got: { status?: string | undefined; message?: string | undefined; processedRecordCount?: number | undefined; totalRecordCount?: number | undefined }): void {
  if (got.status !== undefined) entry.status = got.status
  if (got.message !== undefined) entry.message = got.message
  if (got.processedRecordCount !== undefined) entry.processed = got.processedRecordCount
  if (got.totalRecordCount !== undefined) entry.total = got.totalRecordCount
  if (got.status !== undefined && END_STATUSES.has(got.status)) entry.phase = 'ended'
}

/** The id Bedrock gives a job: the last part of its ARN, and the folder its outputs go to. */
export function jobIdOf(jobArn: string): string {
  return jobArn.slice(jobArn.lastIndexOf('/') + 1)
}
