import { once } from 'node:events'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { JobInputFile } from './job-file.js'

export interface Quotas {
  recordsPerFile: number
  bytesPerFile: number
  recordsPerJob: number
  bytesPerJob: number
}

export interface PlannedJob {
  index: number
  /** The job's folder in the work folder; its files are `part-NNN.jsonl` in it. */
  dir: string
  files: JobInputFile[]
  records: number
}

/**
 * How many jobs `records` records of `bytes` bytes need, and how many records each gets:
 * as few jobs as the quotas allow, with the records spread evenly, so no job ends up under
 * Bedrock's minimum because it got the remainder.
 */
export function planJobs(records: number, bytes: number, quotas: Quotas): number[] {
  const jobs = Math.max(1, Math.ceil(records / quotas.recordsPerJob), Math.ceil(bytes / quotas.bytesPerJob))
  return Array.from({ length: jobs }, (_, i) => Math.floor(records / jobs) + (i < records % jobs ? 1 : 0))
}

/**
 * Writes the prepared records into job folders (`job-NNN/part-NNN.jsonl`), each job its
 * planned number of records, each file within the per-file record and byte quotas. One
 * streaming pass: memory stays flat.
 */
export async function splitRecords(recordsPath: string, workDir: string, counts: number[], quotas: Quotas): Promise<PlannedJob[]> {
  const jobs: PlannedJob[] = []
  let job: PlannedJob | undefined
  let file: JobInputFile | undefined
  let stream: WriteStream | undefined
  const closeFile = async () => {
    if (stream !== undefined) await new Promise<void>((resolve, reject) => stream?.end((error?: Error | null) => (error ? reject(error) : resolve())))
    stream = undefined
    file = undefined
  }
  for await (const line of createInterface({ input: createReadStream(recordsPath), crlfDelay: Infinity })) {
    if (line === '') continue
    const text = `${line}\n`
    const size = Buffer.byteLength(text)
    if (job === undefined || job.records >= (counts[job.index] ?? 0)) {
      await closeFile()
      const index = job === undefined ? 0 : job.index + 1
      job = { index, dir: join(workDir, `job-${String(index).padStart(3, '0')}`), files: [], records: 0 }
      await mkdir(job.dir, { recursive: true })
      jobs.push(job)
    }
    if (file === undefined || file.records >= quotas.recordsPerFile || (file.bytes + size > quotas.bytesPerFile && file.records > 0)) {
      await closeFile()
      file = { name: `part-${String(job.files.length).padStart(3, '0')}.jsonl`, records: 0, bytes: 0, uploaded: false }
      job.files.push(file)
      stream = createWriteStream(join(job.dir, file.name))
    }
    file.records += 1
    file.bytes += size
    job.records += 1
    if (stream !== undefined && !stream.write(text)) await once(stream, 'drain')
  }
  await closeFile()
  return jobs
}
