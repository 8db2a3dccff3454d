import { randomUUID } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import type { ColumnInfo, Row } from '../input/item.js'
import type { PageRecord } from '../record.js'
import type { TokenUsage } from '../summarizers/summarizer.js'
import type { ModelInvocationType } from './model-input.js'
import type { PrepareResult } from './prepare.js'
import type { BatchSettings } from './settings.js'
import type { CharsetInfo } from '../decode.js'
import type { PdfPages } from '../extract/pdf.js'

/** One input file of a job: on disk in the work folder, then in S3. */
export interface JobInputFile {
  name: string
  records: number
  bytes: number
  uploaded: boolean
}

export type JobPhase = 'queued' | 'submitted' | 'ended'

export interface BatchJobEntry {
  index: number
  jobName: string
  /** Derived from the job file's id and the job's index: a create retried after a crash finds the job it made. */
  clientRequestToken: string
  /** The job's S3 input prefix (its files are under it) and output prefix. */
  inputUri: string
  outputUri: string
  files: JobInputFile[]
  records: number
  phase: JobPhase
  jobArn?: string
  /** Last status read from Bedrock, with its counts. */
  status?: string
  message?: string
  processed?: number
  total?: number
  /** Times this job was submitted again after it ended Failed or Expired (0 or absent: never). */
  resubmissions?: number
  /** Set by `batch run-local`: the folder its outputs went to, which collect reads instead of S3. */
  localOutDir?: string
}

/** What collect needs for a line that went to the model, besides the model's reply. */
export interface LineInfo {
  line: number
  url: string
  finalUrl: string
  title: string
  lang: string
  /** Absent in lines files written before records carried them. */
  charset?: CharsetInfo | null
  pages?: PdfPages | null
  fetchMs: number
  extractMs: number
  /** The row's kept cells, for a table input: collect puts them back in the record. */
  input?: Row
  /** The reply cache's key for this page's request: collect keeps the job's reply under it. */
  replyKey?: string
  /** Answered from the reply cache when prepared: the line has no record in any job. */
  cached?: { summary: string; usage: TokenUsage | null }
}

/**
 * Everything needed to come back to a batch run from another shell or machine. Line ↔
 * recordId needs no map (record-id.ts); the per-line metadata is `lines.jsonl`, in the work
 * folder and uploaded next to the inputs (`linesUri`).
 */
export interface JobFile {
  version: 1
  id: string
  createdAt: string
  input: string
  workDir: string
  model: string
  modelInvocationType: ModelInvocationType
  s3: string
  roleArn: string
  region: string | undefined
  settings: { maxChars: number; maxInputChars: number; timeoutHours: number; maxJobs: number; minRecords: number }
  linesUri: string
  linesUploaded: boolean
  /** Input lines read, and the records sent to the model. */
  lines: number
  records: number
  /** Lines answered from the reply cache, not sent (in lines.jsonl with their reply); absent in older job files. */
  cached?: number
  /** Whether the run used the cache: collect keeps the jobs' replies in it. */
  cache?: boolean
  /** Lines that failed before the model (fetch, extraction, a bad URL): their records as written. */
  preModelErrors: PageRecord[]
  jobs: BatchJobEntry[]
  /** A table input's kept columns, which a CSV or Parquet output of collect writes first; absent for a URL list. */
  columns?: ColumnInfo[]
}

/** A job file `batch prepare` wrote: its input is on this machine, for `run-local`; nothing in S3. */
export function isLocalJob(job: JobFile): boolean {
  return job.s3 === ''
}

/**
 * The fields of a new job file that come from the run's settings and what prepare found;
 * the caller adds where it goes (S3, role) and its jobs.
 */
export function jobFileFrom(
  id: string,
  input: string,
  workDir: string,
  settings: Pick<BatchSettings, 'model' | 'modelInvocationType' | 'region' | 'maxChars' | 'maxInputChars' | 'timeoutHours' | 'maxJobs' | 'minRecords' | 'cache'>,
  prepared: Pick<PrepareResult, 'lines' | 'records' | 'preModelErrors' | 'cached'> & { columns?: ColumnInfo[] },
): Omit<JobFile, 's3' | 'roleArn' | 'linesUri' | 'jobs'> {
  const { maxChars, maxInputChars, timeoutHours, maxJobs, minRecords } = settings
  return {
    version: 1,
    id,
    createdAt: new Date().toISOString(),
    input,
    workDir,
    model: settings.model,
    modelInvocationType: settings.modelInvocationType,
    region: settings.region,
    settings: { maxChars, maxInputChars, timeoutHours, maxJobs, minRecords },
    linesUploaded: false,
    lines: prepared.lines,
    records: prepared.records,
    cached: prepared.cached,
    cache: settings.cache,
    preModelErrors: prepared.preModelErrors,
    ...(prepared.columns === undefined || prepared.columns.length === 0 ? {} : { columns: prepared.columns }),
  }
}

export function newJobFileId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 16)
}

/** Written to a temporary name and renamed: a crash leaves the old file or the new one, never half of one. */
export async function saveJobFile(path: string, job: JobFile): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(job, null, 2)}\n`)
  await rename(temporary, path)
}

export async function loadJobFile(path: string): Promise<JobFile> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read job file \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? 'error'}`)
  }
  const job = parseJson(text)
  if (!isJobFile(job)) throw new UsageError(`\`${path}\` is not a summarize-urls batch job file`)
  return job
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const PHASES: readonly unknown[] = ['queued', 'submitted', 'ended'] satisfies JobPhase[]

/**
 * The fields every command reads before it can say anything: a file that lacks one (edited
 * by hand, another tool's JSON) is refused here rather than failing later on a missing field.
 */
function isJobFile(value: unknown): value is JobFile {
  if (!isObject(value) || value['version'] !== 1 || !Array.isArray(value['jobs']) || !Array.isArray(value['preModelErrors'])) return false
  const settings = value['settings']
  if (!isObject(settings) || !['maxChars', 'maxInputChars', 'timeoutHours', 'maxJobs', 'minRecords'].every((key) => typeof settings[key] === 'number')) return false
  if (!['id', 'input', 'workDir', 'model', 'modelInvocationType', 's3', 'roleArn', 'linesUri'].every((key) => typeof value[key] === 'string')) return false
  return value['jobs'].every(
    (entry) =>
      isObject(entry) &&
      PHASES.includes(entry['phase']) &&
      Array.isArray(entry['files']) &&
      typeof entry['records'] === 'number' &&
      ['jobName', 'clientRequestToken', 'inputUri', 'outputUri'].every((key) => typeof entry[key] === 'string'),
  )
}

/** A job file edited by hand, cut short or replaced by another file is the user's to fix, not a bug. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** A Bedrock job name (63 characters at most, letters, digits and dashes) for job `index` of this file. */
export function jobNameFor(id: string, index: number): string {
  return `summarize-urls-${id}-${String(index).padStart(3, '0')}`
}
