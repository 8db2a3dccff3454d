import { mkdir, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { jobFileFrom, jobNameFor, newJobFileId, saveJobFile, type JobFile } from './job-file.js'
import { clientRequestToken } from './plan.js'
import { prepare } from './prepare.js'
import type { BatchSettings } from './settings.js'

/**
 * `batch prepare LIST -o records.jsonl`: fetches and extracts every page as `batch run`
 * does and writes the Bedrock batch input file, with no AWS settings and nothing uploaded.
 * Beside it goes a job file (`records.jsonl.batch.json`, with the pages' URLs, titles and
 * the lines that failed before the model in its work folder): `run-local` notes its outputs
 * there, and `collect` joins them back to the URLs.
 */
export async function prepareFile(input: string, settings: BatchSettings, outPath: string, jobFilePath: string, signal?: AbortSignal): Promise<JobFile> {
  const id = newJobFileId()
  const workDir = `${jobFilePath}.d`
  await rm(workDir, { recursive: true, force: true })
  await mkdir(workDir, { recursive: true })
  const prepared = await prepare(input, settings, outPath, join(workDir, 'lines.jsonl'), signal)
  const job: JobFile = {
    ...jobFileFrom(id, input, workDir, settings, prepared),
    // No S3, no role: a local job (isLocalJob).
    s3: '',
    roleArn: '',
    linesUri: '',
    jobs: [
      {
        index: 0,
        jobName: jobNameFor(id, 0),
        clientRequestToken: clientRequestToken(id, 0),
        inputUri: '',
        outputUri: '',
        files: [{ name: basename(outPath), records: prepared.records, bytes: (await stat(outPath)).size, uploaded: false }],
        records: prepared.records,
        phase: 'queued',
      },
    ],
  }
  await saveJobFile(jobFilePath, job)
  return job
}
