import { clientRequestToken } from './plan.js'
import { jobNameFor, type BatchJobEntry, type JobFile } from './job-file.js'

/** Ended without its records and worth another try: Bedrock's own failure, or out of time. Stopped was the user's call. */
const RESUBMIT_STATUSES: ReadonlySet<string> = new Set(['Failed', 'Expired'])

/**
 * Queues again every job that ended Failed or Expired, with a new clientRequestToken and
 * job name (the old token would hand back the failed job), keeping its uploaded inputs.
 * Returns what it queued, as it was, so the caller can say why before anything is sent.
 */
export function requeueFailed(job: JobFile): Array<Pick<BatchJobEntry, 'jobName' | 'status' | 'message'>> {
  const requeued: Array<Pick<BatchJobEntry, 'jobName' | 'status' | 'message'>> = []
  for (const entry of job.jobs) {
    if (entry.phase !== 'ended' || entry.status === undefined || !RESUBMIT_STATUSES.has(entry.status) || entry.localOutDir !== undefined) continue
    requeued.push({ jobName: entry.jobName, status: entry.status, ...(entry.message === undefined ? {} : { message: entry.message }) })
    const resubmissions = (entry.resubmissions ?? 0) + 1
    entry.resubmissions = resubmissions
    entry.clientRequestToken = clientRequestToken(job.id, entry.index, resubmissions)
    entry.jobName = `${jobNameFor(job.id, entry.index)}-r${resubmissions}`
    entry.phase = 'queued'
    delete entry.jobArn
    delete entry.status
    delete entry.message
    delete entry.processed
    delete entry.total
  }
  return requeued
}

/** One line per job that ended without all its records, with Bedrock's reason: what a summary must show. */
export function endedBadly(job: JobFile): string[] {
  return job.jobs
    .filter((entry) => entry.phase === 'ended' && entry.status !== 'Completed')
    .map((entry) => `job ${entry.jobName} ended ${entry.status ?? 'unsubmitted'}${entry.message === undefined ? '' : `: ${entry.message}`}`)
}
