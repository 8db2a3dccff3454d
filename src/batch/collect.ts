import { createReadStream, createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Readable, type Writable } from 'node:stream'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import type { OutputFormat } from '../options.js'
import { openCache } from '../cache/open.js'
import { RecordWriter } from '../output/writer.js'
import type { PageRecord } from '../record.js'
import type { AwsClients } from './aws.js'
import { costOf, type Cost } from './cost.js'
import type { BatchJobEntry, JobFile, LineInfo } from './job-file.js'
import type { InputRecord, OnlineSettings, OutputRecord } from './online.js'
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
  cost: Cost
  /** Lines answered from the cache when the run was prepared, and the tokens their replies had cost. */
  cached: number
  saved: { inputTokens: number; outputTokens: number }
}

async function* s3Lines(clients: AwsClients, uri: string): AsyncGenerator<string> {
  const { bucket, key } = parseS3Uri(uri) ?? { bucket: '', key: '' }
  const reply = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  yield* createInterface({ input: reply.Body as Readable, crlfDelay: Infinity })
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

/** Every `.jsonl.out` of a job, joined on recordId (output order is not guaranteed); and its manifest's token counts. */
async function readOutputs(clients: AwsClients, entry: BatchJobEntry, outcomes: Map<number, Outcome>): Promise<{ inputTokens: number; outputTokens: number }> {
  const tokens = { inputTokens: 0, outputTokens: 0 }
  if (entry.jobArn === undefined) return tokens
  for (const uri of await listKeys(clients, `${joinS3(entry.outputUri, jobIdOf(entry.jobArn))}/`)) {
    if (uri.endsWith('manifest.json.out')) {
      let text = ''
      for await (const line of s3Lines(clients, uri)) text += line
      const manifest = JSON.parse(text) as { inputTokenCount?: number; outputTokenCount?: number }
      tokens.inputTokens += manifest.inputTokenCount ?? 0
      tokens.outputTokens += manifest.outputTokenCount ?? 0
    } else if (uri.endsWith('.jsonl.out')) {
      for await (const line of s3Lines(clients, uri)) {
        if (line.trim() === '') continue
        const record = JSON.parse(line) as OutputRecord
        const at = lineOf(record.recordId)
        if (at !== undefined) outcomes.set(at, outcomeOf(record))
      }
    }
  }
  return tokens
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
  const source = (await exists(local)) ? createInterface({ input: createReadStream(local), crlfDelay: Infinity }) : s3Lines(clients, job.linesUri)
  const infos: LineInfo[] = []
  for await (const line of source) if (line.trim() !== '') infos.push(JSON.parse(line) as LineInfo)
  return infos
}

/**
 * Downloads every job's outputs, joins them to the input lines, and writes one record per
 * input line in input order, as the online path would (any format). With `online`, the
 * records that failed or were never processed are sent through the online API first.
 * Collecting twice gives the same file: nothing is consumed.
 */
export async function collect(job: JobFile, clients: AwsClients, options: CollectOptions): Promise<CollectResult> {
  const outcomes = new Map<number, Outcome>()
  const tokens = { inputTokens: 0, outputTokens: 0 }
  const missing = new Map<number, string>()
  for (const entry of job.jobs) {
    const got = await readOutputs(clients, entry, outcomes)
    tokens.inputTokens += got.inputTokens
    tokens.outputTokens += got.outputTokens
  }
  for (const entry of job.jobs) {
    missing.set(entry.index, `the batch job ${entry.jobArn ?? entry.jobName} ended ${entry.status ?? 'unsubmitted'}${entry.message === undefined ? '' : ` (${entry.message})`} before this record was processed`)
  }
  let retried = 0
  if (options.online !== undefined) {
    const retry = async function* (): AsyncGenerator<InputRecord> {
      for await (const record of inputRecords(job, clients)) {
        const at = lineOf(record.recordId)
        if (at !== undefined && outcomes.get(at)?.kind !== 'ok') yield record
      }
    }
    const { runOnline } = await import('./online.js')
    await runOnline(
      retry(),
      options.online,
      async (result) => {
        const at = lineOf(result.recordId)
        if (at === undefined) return
        const outcome = outcomeOf(result)
        if (outcome.kind === 'ok') retried += 1
        outcomes.set(at, outcome)
      },
      options.signal,
    )
  }
  const infos = await readLines(job, clients)
  const records: PageRecord[] = [...job.preModelErrors]
  const saved = { inputTokens: 0, outputTokens: 0 }
  let cached = 0
  const cache = job.cache === true && options.cache !== undefined ? await openCache(options.cache) : undefined
  try {
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
      const outcome = outcomes.get(info.line)
      // The job's reply answers this page next time, online or in a batch.
      if (cache !== undefined && outcome?.kind === 'ok' && info.replyKey !== undefined && outcome.text !== '') {
        await cache.keepReply(info.replyKey, { summary: outcome.text, model: job.model, usage: outcome.usage })
      }
      const record = pageRecordOf(info, outcome, job.model, job.settings.maxChars, missing.get(entry) ?? '')
      records.push(job.cache === true ? { ...record, cache: 'miss' } : record)
    }
  } finally {
    await cache?.close()
  }
  records.sort((a, b) => a.line - b.line)

  const stream = options.out === undefined ? options.stdout : createWriteStream(options.out)
  const writer = new RecordWriter(stream, options.format, options.out ?? 'stdout')
  for (const record of records) await writer.write(record, options.signal)
  await writer.finish()
  if (options.out !== undefined) await new Promise<void>((resolve, reject) => (stream as ReturnType<typeof createWriteStream>).end((error?: Error | null) => (error ? reject(error) : resolve())))
  const ok = records.filter((record) => record.status === 'ok').length
  return { records: records.length, ok, failed: records.length - ok, retried, cost: costOf(job.model, tokens, options.prices), cached, saved }
}
