import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'
import { UsageError } from '../errors.js'
import { runOnline, type InputRecord, type OnlineSettings } from './online.js'
import { outcomeOf } from './output-record.js'

export interface RunLocalResult {
  totalRecordCount: number
  processedRecordCount: number
  successRecordCount: number
  errorRecordCount: number
  inputTokenCount: number
  outputTokenCount: number
}

async function* readRecords(path: string): AsyncGenerator<InputRecord> {
  let n = 0
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    n += 1
    if (line.trim() === '') continue
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      throw new UsageError(`${path}:${n}: not a JSON line; a Bedrock batch input file has one {"recordId", "modelInput"} object a line`)
    }
    const record = json as Partial<InputRecord>
    // As Bedrock does for a record without an id: it is named by its position.
    yield { recordId: typeof record.recordId === 'string' ? record.recordId : `${basename(path)}-${String(n).padStart(11, '0')}`, modelInput: record.modelInput }
  }
}

/**
 * Runs a Bedrock batch input file through the online API and writes what Bedrock would:
 * `<outDir>/<file>.out` (one `{recordId, modelInput, modelOutput | error}` line per record,
 * in completion order) and `<outDir>/manifest.json.out`. With `urls` (recordId → the page's
 * URL, from the job file `batch prepare` wrote), each line also says its page's `url`.
 */
export async function runLocal(inputPath: string, outDir: string, settings: OnlineSettings, signal?: AbortSignal, urls?: ReadonlyMap<string, string>): Promise<RunLocalResult> {
  await mkdir(outDir, { recursive: true })
  // Opened at the first result (or at the end, empty): a run stopped before any record (no
  // credentials) leaves no output for `collect` to take for a run.
  let out: WriteStream | undefined
  const open = (): WriteStream => {
    if (out !== undefined) return out
    out = createWriteStream(join(outDir, `${basename(inputPath)}.out`))
    // Up to `concurrency` results may wait for the same drain at once.
    out.setMaxListeners(settings.concurrency + 8)
    return out
  }
  const manifest: RunLocalResult = { totalRecordCount: 0, processedRecordCount: 0, successRecordCount: 0, errorRecordCount: 0, inputTokenCount: 0, outputTokenCount: 0 }
  try {
    await runOnline(
      readRecords(inputPath),
      settings,
      async (record) => {
        manifest.totalRecordCount += 1
        manifest.processedRecordCount += 1
        const outcome = outcomeOf(record)
        if (outcome?.kind === 'ok') {
          manifest.successRecordCount += 1
          manifest.inputTokenCount += outcome.usage?.inputTokens ?? 0
          manifest.outputTokenCount += outcome.usage?.outputTokens ?? 0
        } else manifest.errorRecordCount += 1
        const url = urls?.get(record.recordId)
        const line = url === undefined ? record : { ...record, url }
        const stream = open()
        if (!stream.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()))
      },
      signal,
    )
    open()
  } finally {
    const stream = out
    if (stream !== undefined) await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())))
  }
  const manifestOut = createWriteStream(join(outDir, 'manifest.json.out'))
  await new Promise<void>((resolve, reject) => manifestOut.end(`${JSON.stringify(manifest)}\n`, (error?: Error | null) => (error ? reject(error) : resolve())))
  return manifest
}
