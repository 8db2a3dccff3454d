/**
 * Model invocation (batch) jobs as Bedrock runs them: a job reads its JSONL records from S3,
 * moves Submitted → Validating → Scheduled → InProgress → an end state, runs every record
 * through the fake model at `batchRecordMs` a record, and writes `<file>.jsonl.out` (in
 * shuffled order, as Bedrock does not keep input order) and `manifest.json.out` under
 * `<outputUri>/<jobId>/`. The control-plane protocol (protocols/bedrock-control.ts) validates
 * requests and shapes replies; this module holds the jobs and runs them.
 */
import { randomInt } from 'node:crypto'
import { parseS3Uri } from '../batch/s3-uri.js'
import { sleep } from '../control/retry.js'
import type { ModelFamily } from './catalogue.js'
import { answer, estimateTokens } from './model.js'
import type { Conversation } from './model.js'
import type { EmulatorSettings } from './options.js'
import { BedrockError } from './protocols/bedrock-errors.js'
import { isObject, readConverse } from './protocols/bedrock-requests.js'
import { NATIVE_BODIES, readNativeBody, STOP_REASON } from './protocols/native-bodies.js'
import type { ObjectStore } from './s3-store.js'
import { seeded } from './seeded.js'

export type JobStatus = 'Submitted' | 'Validating' | 'Scheduled' | 'InProgress' | 'Completed' | 'PartiallyCompleted' | 'Failed' | 'Stopping' | 'Stopped' | 'Expired'

/** Counted against the per-model job quota, and the only states a stop applies to. */
export const ACTIVE_STATUSES: ReadonlySet<JobStatus> = new Set(['Submitted', 'Validating', 'Scheduled', 'InProgress', 'Stopping'])

export interface JobRequest {
  jobName: string
  roleArn: string
  clientRequestToken: string | undefined
  modelId: string
  family: ModelFamily
  inputUri: string
  outputUri: string
  timeoutDurationInHours: number
  modelInvocationType: 'InvokeModel' | 'Converse'
}

export interface Job extends JobRequest {
  id: string
  jobArn: string
  status: JobStatus
  message: string | undefined
  submitTime: Date
  lastModifiedTime: Date
  endTime: Date | undefined
  jobExpirationTime: Date
  /** Known once the input has been read. */
  totalRecordCount: number | undefined
  processedRecordCount: number
  successRecordCount: number
  errorRecordCount: number
}

export type Created = { kind: 'created' | 'existing'; job: Job }

/** Pause between state changes before the records run: long enough for a poller to see each. */
const STATE_STEP_MS = 20
/** Records run in slices, each followed by one sleep, so a fast setting does not cost a timer per record. */
const SLICE = 25
const HOUR_MS = 60 * 60 * 1000

/** Bedrock's job ids: 12 lowercase letters and digits. */
function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return Array.from({ length: 12 }, () => alphabet[randomInt(alphabet.length)]).join('')
}

interface InputRecord {
  file: string
  recordId: string
  modelInput: unknown
  /** Set for a line Bedrock cannot read: it gets an error record. */
  problem: string | undefined
}

export class BatchJobs {
  readonly #jobs = new Map<string, Job>()
  readonly #settings: EmulatorSettings
  readonly #store: ObjectStore
  readonly #stopping = new Map<string, AbortController>()
  readonly #closed = new AbortController()
  #created = 0

  constructor(settings: EmulatorSettings, store: ObjectStore) {
    this.#settings = settings
    this.#store = store
  }

  /** A token already used returns its job, as Bedrock's idempotent create does: a retried create never starts a second job. */
  create(request: JobRequest, region: string, account: string): Created {
    if (request.clientRequestToken !== undefined) {
      for (const job of this.#jobs.values()) if (job.clientRequestToken === request.clientRequestToken) return { kind: 'existing', job }
    }
    for (const job of this.#jobs.values()) {
      if (job.jobName === request.jobName) throw new BedrockError('ConflictException', `A batch inference job with the name ${request.jobName} already exists.`)
    }
    const active = [...this.#jobs.values()].filter((job) => job.modelId === request.modelId && ACTIVE_STATUSES.has(job.status)).length
    if (active >= this.#settings.batchMaxJobs) {
      throw new BedrockError(
        'ServiceQuotaExceededException',
        `You have reached the maximum number of batch inference jobs (${this.#settings.batchMaxJobs}) that can be submitted or in progress for model ${request.modelId}. Wait for a job to finish and try again.`,
      )
    }
    const id = newJobId()
    const now = new Date()
    const job: Job = {
      ...request,
      id,
      jobArn: `arn:aws:bedrock:${region}:${account}:model-invocation-job/${id}`,
      status: 'Submitted',
      message: undefined,
      submitTime: now,
      lastModifiedTime: now,
      endTime: undefined,
      jobExpirationTime: new Date(now.getTime() + request.timeoutDurationInHours * HOUR_MS),
      totalRecordCount: undefined,
      processedRecordCount: 0,
      successRecordCount: 0,
      errorRecordCount: 0,
    }
    this.#jobs.set(id, job)
    this.#created += 1
    const stop = new AbortController()
    this.#stopping.set(id, stop)
    void this.#run(job, this.#created, AbortSignal.any([stop.signal, this.#closed.signal])).finally(() => this.#stopping.delete(id))
    return { kind: 'created', job }
  }

  /** By bare id or by ARN; undefined for a job that does not exist. */
  get(identifier: string): Job | undefined {
    return this.#jobs.get(identifier.slice(identifier.lastIndexOf('/') + 1))
  }

  /** Every job, oldest first. */
  all(): Job[] {
    return [...this.#jobs.values()]
  }

  /** How many jobs were ever created: what tests check against duplicates. */
  get createdCount(): number {
    return this.#created
  }

  stop(job: Job): void {
    if (!ACTIVE_STATUSES.has(job.status)) throw new BedrockError('ConflictException', `The job ${job.jobArn} is ${job.status} and cannot be stopped.`)
    if (job.status === 'Stopping') return
    this.#set(job, 'Stopping')
    this.#stopping.get(job.id)?.abort()
  }

  /** Ends every job's work at once, writing nothing more (the emulator is closing). */
  close(): void {
    this.#closed.abort()
    this.#store.close()
  }

  #set(job: Job, status: JobStatus, message?: string): void {
    job.status = status
    job.lastModifiedTime = new Date()
    if (message !== undefined) job.message = message
    if (!ACTIVE_STATUSES.has(status)) job.endTime = job.lastModifiedTime
  }

  async #run(job: Job, ordinal: number, signal: AbortSignal): Promise<void> {
    const { batchRecordMs, batchOutcome, batchMinRecords } = this.#settings
    try {
      for (const status of ['Validating', 'Scheduled'] as const) {
        await sleep(STATE_STEP_MS, signal)
        if (job.status === 'Stopping') break
        this.#set(job, status)
      }
      const records = await this.#readInput(job)
      if (records === undefined) return
      if (records.length < batchMinRecords) {
        return this.#set(job, 'Failed', `The input contains ${records.length} records, fewer than the minimum of ${batchMinRecords} records a batch inference job requires.`)
      }
      job.totalRecordCount = records.length
      if (batchOutcome === 'failed') return this.#set(job, 'Failed', 'Internal Server Exception: the batch inference job failed. Try submitting it again.')
      await sleep(STATE_STEP_MS, signal)
      this.#set(job, 'InProgress')
      const random = seeded(this.#settings.batchSeed * 7919 + ordinal)
      const limit = batchOutcome === 'completed' ? records.length : Math.ceil(records.length / 2)
      const lines = new Map<string, string[]>()
      let inputTokens = 0
      let outputTokens = 0
      for (let start = 0; start < limit; start += SLICE) {
        const slice = records.slice(start, Math.min(limit, start + SLICE))
        try {
          await sleep(batchRecordMs * slice.length, signal)
        } catch {
          if (this.#closed.signal.aborted) return
          break // stopped: what ran so far is written
        }
        for (const record of slice) {
          const result = this.#runRecord(job, record, random)
          inputTokens += result.inputTokens
          outputTokens += result.outputTokens
          if (result.ok) job.successRecordCount += 1
          else job.errorRecordCount += 1
          job.processedRecordCount += 1
          let out = lines.get(record.file)
          if (out === undefined) lines.set(record.file, (out = []))
          out.push(result.line)
        }
        job.lastModifiedTime = new Date()
      }
      await this.#writeOutput(job, records, lines, random, { inputTokenCount: inputTokens, outputTokenCount: outputTokens })
      if (job.status === 'Stopping') return this.#set(job, 'Stopped')
      if (batchOutcome === 'expired') return this.#set(job, 'Expired', `The job did not finish within its timeout of ${job.timeoutDurationInHours} hours.`)
      if (batchOutcome === 'partially-completed') return this.#set(job, 'PartiallyCompleted', 'Some records could not be processed before the job ended.')
      this.#set(job, 'Completed')
    } catch (error) {
      if (this.#closed.signal.aborted) return
      if (job.status === 'Stopping' && error instanceof Error && error.name === 'AbortError') return this.#set(job, 'Stopped')
      this.#set(job, 'Failed', `Internal error: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /** A prefix takes every `.jsonl` object under it; a key names one file. Undefined when the job failed here. */
  async #readInput(job: Job): Promise<InputRecord[] | undefined> {
    const where = parseS3Uri(job.inputUri)
    if (where === undefined) return void this.#set(job, 'Failed', `The input S3 URI ${job.inputUri} is not valid.`)
    let keys: string[]
    try {
      keys = where.key.endsWith('.jsonl') ? [where.key] : (await this.#store.list(where.bucket, where.key)).filter((key) => key.endsWith('.jsonl'))
    } catch (error) {
      return void this.#set(job, 'Failed', `Unable to read the input from ${job.inputUri}: ${describe(error)}`)
    }
    if (keys.length === 0) return void this.#set(job, 'Failed', `No .jsonl input file was found at ${job.inputUri}.`)
    const records: InputRecord[] = []
    for (const key of keys) {
      let text: string
      try {
        text = await this.#store.get(where.bucket, key)
      } catch (error) {
        return void this.#set(job, 'Failed', `Unable to read s3://${where.bucket}/${key}: ${describe(error)}`)
      }
      const file = key.slice(key.lastIndexOf('/') + 1)
      let n = 0
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue
        n += 1
        records.push(readRecord(file, line, n))
      }
    }
    return records
  }

  #runRecord(job: Job, record: InputRecord, random: () => number): { ok: boolean; line: string; inputTokens: number; outputTokens: number } {
    const fail = (errorCode: number, errorMessage: string) => ({
      ok: false,
      line: JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, error: { errorCode, errorMessage } }),
      inputTokens: 0,
      outputTokens: 0,
    })
    if (record.problem !== undefined) return fail(400, record.problem)
    let conversation: Conversation
    try {
      conversation = job.modelInvocationType === 'Converse' ? readConverse(record.modelInput) : readNativeBody(job.family, job.modelId, record.modelInput)
    } catch (error) {
      if (error instanceof BedrockError) return fail(400, error.message)
      throw error
    }
    if (random() < this.#settings.batchErrorRate) return fail(500, 'The model encountered an internal error while processing this record. Try again.')
    this.#settings.onConversation?.(conversation)
    const reply = answer(conversation, random() < this.#settings.overshootRate)
    const inputTokens = estimateTokens(conversation.inputText)
    const finished = { text: reply.text, stop: reply.stop, inputTokens, outputTokens: reply.outputTokens }
    const modelOutput =
      job.modelInvocationType === 'Converse'
        ? {
            output: { message: { role: 'assistant', content: [{ text: reply.text }] } },
            stopReason: STOP_REASON[reply.stop],
            usage: { inputTokens, outputTokens: reply.outputTokens, totalTokens: inputTokens + reply.outputTokens },
            metrics: { latencyMs: Math.round(this.#settings.batchRecordMs) },
          }
        : NATIVE_BODIES[job.family].reply(finished, job.modelId)
    return { ok: true, line: JSON.stringify({ recordId: record.recordId, modelInput: record.modelInput, modelOutput }), inputTokens, outputTokens: reply.outputTokens }
  }

  async #writeOutput(job: Job, records: InputRecord[], lines: Map<string, string[]>, random: () => number, tokens: { inputTokenCount: number; outputTokenCount: number }): Promise<void> {
    const where = parseS3Uri(job.outputUri)
    if (where === undefined) throw new Error(`the output S3 URI ${job.outputUri} is not valid`)
    const prefix = [where.key.replace(/\/+$/, ''), job.id].filter((part) => part !== '').join('/')
    for (const file of new Set(records.map((record) => record.file))) {
      const out = lines.get(file) ?? []
      // Bedrock does not keep input order; neither does the emulator, so callers must join on recordId.
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1))
        ;[out[i], out[j]] = [out[j] as string, out[i] as string]
      }
      await this.#store.put(where.bucket, `${prefix}/${file}.out`, out.length === 0 ? '' : `${out.join('\n')}\n`)
    }
    const manifest = {
      totalRecordCount: job.totalRecordCount ?? 0,
      processedRecordCount: job.processedRecordCount,
      successRecordCount: job.successRecordCount,
      errorRecordCount: job.errorRecordCount,
      ...tokens,
    }
    await this.#store.put(where.bucket, `${prefix}/manifest.json.out`, `${JSON.stringify(manifest)}\n`)
  }
}

function readRecord(file: string, line: string, n: number): InputRecord {
  // Bedrock names a record without a recordId by its position; the emulator does the same.
  const fallbackId = `${file}-${String(n).padStart(11, '0')}`
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return { file, recordId: fallbackId, modelInput: null, problem: 'Malformed input record: the line is not a JSON object.' }
  }
  if (!isObject(json)) return { file, recordId: fallbackId, modelInput: null, problem: 'Malformed input record: the line is not a JSON object.' }
  const recordId = typeof json['recordId'] === 'string' ? json['recordId'] : fallbackId
  if (!isObject(json['modelInput'])) return { file, recordId, modelInput: json['modelInput'] ?? null, problem: 'Malformed input record: modelInput is missing or is not a JSON object.' }
  return { file, recordId, modelInput: json['modelInput'], problem: undefined }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
