import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable, type Writable } from 'node:stream'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { UsageError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import { openCache } from '../cache/open.js'
import { openOutputTarget } from '../job/output-target.js'
import type { PageRecord } from '../record.js'
import type { AwsClients } from './aws.js'
import { costOf, type Cost } from './cost.js'
import type { BatchJobEntry, JobFile, LineInfo } from './job-file.js'
import type { InputRecord, OnlineSettings } from './online.js'
import { outputLines, OutputLedger, type OutputProblem, type TokenCounts } from './output-reader.js'
import { outcomeOf, pageRecordOf, type Outcome } from './output-record.js'
import { exists } from './plan.js'
import { lineOf } from './record-id.js'
import { joinS3, parseS3Uri } from './s3-uri.js'
import { jobIdOf } from './submit.js'

export interface CollectOptions {
  out: string | undefined
  format: OutputFormat
  stdout: Writable
  /** Set: failed and unprocessed records go through the online API with these settings. */
  online: OnlineSettings | undefined
  prices: { priceInput?: number | undefined; priceOutput?: number | undefined }
  signal?: AbortSignal | undefined
  /** The cache to keep the jobs' replies in (the run's `--cache-dir`); undefined: none kept. */
  cache?: { cacheDir?: string | undefined; cacheMaxBytes: number } | undefined
}

export interface CollectResult {
  records: number
  ok: number
  failed: number
  /** Records turned ok by `--retry-failed-online`. */
  retried: number
  /** From the output records' `usage`: what the records written are worth. */
  cost: Cost
  /** What the jobs' manifests say, when one was read: shown beside the records' figures when they differ. */
  manifestTokens: TokenCounts | undefined
  /** Damaged, unknown or repeated output lines, each explained; none is fatal. */
  problems: OutputProblem[]
  /** Lines answered from the cache when the run was prepared, and the tokens their replies had cost. */
  cached: number
  saved: { inputTokens: number; outputTokens: number }
}

/** An output object: in S3, or a local file (`batch run-local` writes its outputs to a folder, BatchJobEntry.localOutDir). */
async function s3Object(clients: AwsClients, uri: string): Promise<Readable> {
  if (!uri.startsWith('s3://')) return createReadStream(uri)
  const { bucket, key } = parseS3Uri(uri) ?? { bucket: '', key: '' }
  const reply = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return reply.Body as Readable
}

async function* s3Lines(clients: AwsClients, uri: string): AsyncGenerator<string> {
  yield* createInterface({ input: await s3Object(clients, uri), crlfDelay: Infinity })
}

async function listKeys(clients: AwsClients, uri: string): Promise<string[]> {
  const { bucket, key } = parseS3Uri(uri) ?? { bucket: '', key: '' }
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ...(token === undefined ? {} : { ContinuationToken: token }) }))
    for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(`s3://${bucket}/${item.Key}`)
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined
  } while (token !== undefined)
  return keys
}

/**
 * Every `.jsonl.out` of a job and its manifest, read line by line into the ledger (output
 * order is not guaranteed; a damaged line costs at most the record it names). A job run by
 * `batch run-local` has its outputs in a local folder instead of S3.
 */
async function readOutputs(clients: AwsClients, entry: BatchJobEntry, ledger: OutputLedger): Promise<OutputProblem[]> {
  const local = entry.localOutDir
  if (entry.jobArn === undefined && local === undefined) return []
  const before = ledger.problems.length
  const uris = local !== undefined ? (await readdir(local)).map((name) => join(local, name)) : await listKeys(clients, `${joinS3(entry.outputUri, jobIdOf(entry.jobArn ?? ''))}/`)
  for (const uri of uris) {
    const file = uri.slice(uri.lastIndexOf('/') + 1)
    if (file === 'manifest.json.out') {
      let text = ''
      for await (const line of outputLines(await s3Object(clients, uri))) text += `${line.text}\n`
      ledger.readManifest(file, text)
    } else if (file.endsWith('.jsonl.out')) {
      for await (const line of outputLines(await s3Object(clients, uri))) ledger.readLine(file, line)
    }
  }
  // Lines that could not be tied to a record: one of them was probably the record of each line left without one.
  return ledger.problems.slice(before).filter((problem) => problem.kind === 'unreadable' && problem.line === undefined)
}

/** The job's input records, from the work folder when it is here, else from S3. */
async function* inputRecords(job: JobFile, clients: AwsClients): AsyncGenerator<InputRecord> {
  for (const entry of job.jobs) {
    const dir = join(job.workDir, `job-${String(entry.index).padStart(3, '0')}`)
    const local = await exists(dir)
    for (const file of entry.files) {
      const lines = local ? createInterface({ input: createReadStream(join(dir, file.name)), crlfDelay: Infinity }) : s3Lines(clients, joinS3(entry.inputUri, file.name))
      for await (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as InputRecord
    }
  }
}

async function readLines(job: JobFile, clients: AwsClients): Promise<LineInfo[]> {
  const local = join(job.workDir, 'lines.jsonl')
  const here = await exists(local)
  const source = here ? createInterface({ input: createReadStream(local), crlfDelay: Infinity }) : s3Lines(clients, job.linesUri)
  const infos: LineInfo[] = []
  let number = 0
  for await (const line of source) {
    number += 1
    if (line.trim() === '') continue
    try {
      infos.push(JSON.parse(line) as LineInfo)
    } catch {
      // Our own file, written whole before the job file: damage here is the user's to see, not a crash.
      throw new UsageError(`line ${number} of ${here ? `\`${local}\`` : job.linesUri} is not JSON: the job's line list is damaged; restore it from ${here ? job.linesUri : 'the work folder'}`)
    }
  }
  return infos
}

/** The outcome of a line with no output record, when its job's outputs had lines that could not be read. */
function lostIn(unreadable: OutputProblem[]): Outcome | undefined {
  if (unreadable.length === 0) return undefined
  const where = unreadable.slice(0, 3).map((problem) => problem.where).join(', ')
  const more = unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : ''
  return { kind: 'invalid', message: `the job's outputs have no readable record for this line, and ${unreadable.length} of their lines could not be read (${where}${more})` }
}

/**
 * Downloads every job's outputs, joins them to the input lines, and writes one record per
 * input line in input order, as the online path would (any format). With `online`, the
 * records that failed or were never processed are sent through the online API first.
 * Collecting twice gives the same file: nothing is consumed.
 */
export async function collect(job: JobFile, clients: AwsClients, options: CollectOptions): Promise<CollectResult> {
  const infos = await readLines(job, clients)
  const ledger = new OutputLedger(new Set(infos.map((info) => info.line)))
  const outcomes = ledger.outcomes
  const missing = new Map<number, string>()
  const unreadable = new Map<number, OutputProblem[]>()
  for (const entry of job.jobs) unreadable.set(entry.index, await readOutputs(clients, entry, ledger))
  for (const entry of job.jobs) {
    missing.set(entry.index, `the batch job ${entry.jobArn ?? entry.jobName} ended ${entry.status ?? 'unsubmitted'}${entry.message === undefined ? '' : ` (${entry.message})`} before this record was processed`)
  }
  // Cost and tokens as read, before the online retry replaces any outcome.
  const tokens = { ...ledger.recordTokens }
  const retried = options.online === undefined ? 0 : await retryOnline(job, clients, options.online, outcomes, options.signal)
  const cache = job.cache === true && options.cache !== undefined ? await openCache(options.cache) : undefined
  let joined: Joined
  try {
    joined = await joinLines(job, infos, { outcomes, unreadable, missing }, cache)
  } finally {
    await cache?.close()
  }
  const { records, cached, saved } = joined
  records.sort((a, b) => a.line - b.line)

  await writeRecords(records, job, options)
  const ok = records.filter((record) => record.status === 'ok').length
  return {
    records: records.length,
    ok,
    failed: records.length - ok,
    retried,
    cost: costOf(job.model, tokens, options.prices),
    manifestTokens: ledger.manifestTokens,
    problems: ledger.problems,
    cached,
    saved,
  }
}

/** Sends the records that failed or were never processed through the online API; returns how many turned ok. */
async function retryOnline(job: JobFile, clients: AwsClients, online: OnlineSettings, outcomes: Map<number, Outcome>, signal: AbortSignal | undefined): Promise<number> {
  let retried = 0
  const retry = async function* (): AsyncGenerator<InputRecord> {
    for await (const record of inputRecords(job, clients)) {
      const at = lineOf(record.recordId)
      if (at !== undefined && outcomes.get(at)?.kind !== 'ok') yield record
    }
  }
  const { runOnline } = await import('./online.js')
  await runOnline(
    retry(),
    online,
    async (result) => {
      const at = lineOf(result.recordId)
      if (at === undefined) return
      const outcome = outcomeOf(result)
      if (outcome === undefined) return
      if (outcome.kind === 'ok') retried += 1
      outcomes.set(at, outcome)
    },
    signal,
    'collect',
  )
  return retried
}

/** The records of a collection, and what the cache answered of them. */
interface Joined {
  records: PageRecord[]
  cached: number
  saved: { inputTokens: number; outputTokens: number }
}

/** What the jobs said of each line: its outcome, the problems of its job's outputs, why its job ended. */
interface JobOutcomes {
  outcomes: Map<number, Outcome>
  unreadable: Map<number, OutputProblem[]>
  missing: Map<number, string>
}

/**
 * One record per input line: the pre-model errors, the lines answered from the cache, and each
 * other line with its job's outcome (whose reply is kept in `cache` for next time).
 */
async function joinLines(job: JobFile, infos: LineInfo[], { outcomes, unreadable, missing }: JobOutcomes, cache: Awaited<ReturnType<typeof openCache>> | undefined): Promise<Joined> {
  const records: PageRecord[] = [...job.preModelErrors]
  const saved = { inputTokens: 0, outputTokens: 0 }
  let cached = 0
  // lines.jsonl is in the order the records were split into jobs: the first job's count of
  // lines went to it, and so on. Lines answered from the cache are in no job.
  let entry = 0
  let left = job.jobs[0]?.records ?? 0
  for (const info of infos) {
    if (info.cached !== undefined) {
      cached += 1
      saved.inputTokens += info.cached.usage?.inputTokens ?? 0
      saved.outputTokens += info.cached.usage?.outputTokens ?? 0
      records.push({ ...pageRecordOf(info, { kind: 'ok', text: info.cached.summary, usage: info.cached.usage, stop: undefined }, job.model, job.settings.maxChars, ''), cache: 'hit' })
      continue
    }
    while (left === 0 && entry < job.jobs.length - 1) left = job.jobs[(entry += 1)]?.records ?? 0
    left -= 1
    const index = job.jobs[entry]?.index ?? -1
    const outcome = outcomes.get(info.line) ?? lostIn(unreadable.get(index) ?? [])
    // The job's reply answers this page next time, online or in a batch.
    if (cache !== undefined && outcome?.kind === 'ok' && info.replyKey !== undefined && outcome.text !== '') {
      await cache.keepReply(info.replyKey, { summary: outcome.text, model: job.model, usage: outcome.usage })
    }
    // Both maps are keyed by the job's index, not by its place in the list.
    const record = pageRecordOf(info, outcome, job.model, job.settings.maxChars, missing.get(index) ?? '')
    records.push(job.cache === true ? { ...record, cache: 'miss' } : record)
  }
  return { records, cached, saved }
}

/** Writes the records with the same writers as the online path: a table's kept columns first in CSV and Parquet. */
async function writeRecords(records: PageRecord[], job: JobFile, options: CollectOptions): Promise<void> {
  const target = await openOutputTarget(options.out, options.format, { journal: false, fresh: true, stdout: options.stdout, ...(job.columns === undefined ? {} : { columns: job.columns }) })
  try {
    for (const record of records) await target.sink.write(record, options.signal)
    await target.finish()
  } finally {
    await target.release()
  }
}
