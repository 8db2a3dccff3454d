import { setMaxListeners } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { Piscina } from 'piscina'
import type { RunCache } from '../cache/run-cache.js'
import { PageFetcher } from '../fetch.js'
import { fetchSettingsOf } from '../fetch/settings.js'
import { checkColumns } from '../input/check-columns.js'
import type { ColumnInfo } from '../input/item.js'
import { columnPicker } from '../input/keep.js'
import { openReader } from '../input/open.js'
import type { PageRecord } from '../record.js'
import type { BatchSettings } from './settings.js'
import { preparePage } from './prepare-page.js'
import type { Prepared, PrepareTask } from './prepare-worker.js'

// From source (vitest, tsx) the worker is .ts and needs tsx's loader; from dist/ it is .js.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const WORKER_URL = new URL(`./prepare-worker.${ownExtension}`, import.meta.url)

export interface PrepareResult {
  lines: number
  /** Records written to `recordsPath`, in completion order (the recordId says the line). */
  records: number
  bytes: number
  preModelErrors: PageRecord[]
  /** A table's kept columns (none for a URL list). */
  columns: ColumnInfo[]
  /** Lines answered from the reply cache: in lines.jsonl with their reply, not in any record file. */
  cached: number
}

/**
 * Fetches and extracts every page as the online path does (fetch on the main thread, up to
 * `concurrency` at once; extraction on a Piscina pool of `threads`), and streams one Bedrock
 * record per page to `recordsPath` and its line's metadata to `linesPath`. Pages that fail
 * before the model become error records, returned. Memory stays flat: nothing per page is
 * kept but the failures.
 */
export async function prepare(input: string, settings: BatchSettings, recordsPath: string, linesPath: string, signal?: AbortSignal, cache?: RunCache): Promise<PrepareResult> {
  const list = await openReader(input, process.stdin, { format: settings.inputFormat, urlColumn: settings.urlColumn })
  let columns: ColumnInfo[]
  try {
    columns = checkColumns(input === '-' ? 'stdin' : input, list.columns, settings.template, settings.keep)
  } catch (error) {
    list.close()
    throw error
  }
  const pick = columnPicker(settings.keep)
  const fetcher = new PageFetcher(fetchSettingsOf(settings))
  const pool = new Piscina<PrepareTask, Prepared>({
    filename: WORKER_URL.href,
    minThreads: settings.threads,
    maxThreads: settings.threads,
    idleTimeout: Number.POSITIVE_INFINITY,
    ...(ownExtension === 'ts' ? { execArgv: ['--import', 'tsx'] } : {}),
  })
  const records = createWriteStream(recordsPath)
  const lines = createWriteStream(linesPath)
  // Every page in flight may wait on a full stream, and listens to the signal while it fetches: many listeners by design.
  for (const stream of [records, lines]) stream.setMaxListeners(settings.concurrency + 8)
  if (signal !== undefined) setMaxListeners(settings.concurrency * 4 + 16, signal)
  const result: PrepareResult = { lines: 0, records: 0, bytes: 0, preModelErrors: [], columns, cached: 0 }
  const parts = { settings, fetcher, pool, records, lines, pick, counts: result, cache, signal }
  try {
    const items = list.items()[Symbol.asyncIterator]()
    // `concurrency` loops pull from one iterator: at most that many pages in flight, input read lazily.
    const next = async (): Promise<void> => {
      for (;;) {
        signal?.throwIfAborted()
        const step = await items.next()
        if (step.done === true) return
        await preparePage(step.value, parts)
      }
    }
    await Promise.all(Array.from({ length: settings.concurrency }, next))
  } finally {
    await Promise.allSettled([pool.destroy(), fetcher.close(), end(records), end(lines)])
    list.close()
  }
  result.preModelErrors.sort((a, b) => a.line - b.line)
  return result
}

async function end(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())))
}
