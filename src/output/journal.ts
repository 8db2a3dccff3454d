import { closeSync, createReadStream, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs'
import { OutputError, UsageError } from '../errors.js'
import type { Row } from '../input/item.js'
import { workKey } from '../input/work-key.js'
import type { PageRecord } from '../record.js'
import type { RecordSink } from './sink.js'
import { jsonlLine } from './jsonl.js'

/**
 * A JSONL `--out` file written as a journal: each record is appended, as it finishes, with one
 * synchronous `write(2)` of the whole line, so a crash (even SIGKILL) loses no finished page
 * and leaves at most one torn last line. `--resume` reads it back; `compactJournal` puts it in
 * input order at the end of the run (`journal-compact.ts`).
 */
export class JournalSink implements RecordSink {
  readonly #fd: number
  readonly #path: string
  #dirty = false
  #error: OutputError | undefined
  readonly #sync: NodeJS.Timeout

  /** Opens `path` for appending (`fresh`: truncates it first). */
  constructor(path: string, options: { fresh: boolean }) {
    this.#path = path
    try {
      this.#fd = openSync(path, options.fresh ? 'w' : 'a')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error'
      throw new UsageError(`cannot write --out \`${path}\`: ${code === 'ENOENT' ? 'no such directory' : code}`, { cause: error })
    }
    // The OS has every line as soon as write(2) returns; a flush to disk once a second bounds
    // what a power cut can take without paying an fsync per record.
    this.#sync = setInterval(() => {
      if (!this.#dirty) return
      this.#dirty = false
      fdatasync(this.#fd, () => {})
    }, JOURNAL_SYNC_MS)
    this.#sync.unref()
  }

  get error(): OutputError | undefined {
    return this.#error
  }

  write(record: PageRecord): void {
    if (this.#error !== undefined) throw this.#error
    const line = Buffer.from(jsonlLine(record))
    try {
      let written = 0
      // A regular file takes the whole buffer in one write(2); the loop only guards the rare short write.
      while (written < line.length) written += writeSync(this.#fd, line, written)
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
      throw (this.#error = new OutputError(errno, `cannot write records to \`${this.#path}\`: ${errno}`, { cause: error }))
    }
    this.#dirty = true
  }

  close(): void {
    clearInterval(this.#sync)
    try {
      fdatasyncSync(this.#fd)
    } catch {
      // Nothing more can be done about a disk that fails now; the write errors said so already.
    }
    closeSync(this.#fd)
  }
}

const JOURNAL_SYNC_MS = 1000

/** One record of a journal, and where its bytes are: enough to copy it without holding it. */
export interface JournalEntry {
  line: number
  url: string
  /**
   * What the record answered: its URL, and with a prompt that names columns, those columns'
   * cells from its `input` too (two rows with one URL and other cells are two requests).
   */
  key: string
  status: 'ok' | 'error'
  /** Byte offset of the record in its file. */
  offset: number
  /** Its bytes, with the newline when it has one. */
  length: number
}

export interface JournalState {
  /** For each key (the URL as records hold it, see JournalEntry) with an `ok` record, the latest one: that key is done. */
  ok: Map<string, JournalEntry>
  /** Records read (every status). */
  records: number
  /** Bytes of a torn last line that were cut off. */
  tornBytes: number
  /** The file's size once a torn line is cut: records written after this are a later run's. */
  size: number
}

/**
 * Reads an existing journal for `--resume`: which URLs are done, ignoring (and cutting off)
 * a torn last line left by a crash. A missing file is an empty journal. A line in the middle
 * that is not a record means the file is not ours: refuse rather than overwrite it.
 */
export async function loadJournal(path: string, keyColumns: readonly string[] = []): Promise<JournalState> {
  const state: JournalState = { ok: new Map(), records: 0, tornBytes: 0, size: 0 }
  let fd: number
  try {
    fd = openSync(path, 'r+')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return state
    throw new UsageError(`cannot resume from --out \`${path}\`: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { cause: error })
  }
  try {
    // Every complete line is checked before anything is cut: a file that is not ours is
    // refused as it is.
    const complete = completeLength(fd)
    for await (const { number, record } of journalLines(path, 0, complete, keyColumns)) {
      if (record === undefined) {
        throw new UsageError(`cannot resume from --out \`${path}\`: line ${number} is not a summarize-urls JSONL record`)
      }
      state.records += 1
      // The URL keeps its latest ok record even if a later record for it failed (a file
      // joined by hand): paid-for work is never given up for an error.
      if (record.status === 'ok') state.ok.set(record.key, record)
    }
    const size = fstatSync(fd).size
    if (complete < size) {
      // What follows the last newline is a record cut short by a crash, or not ours at all.
      const tail = Buffer.alloc(Math.min(size - complete, 64))
      readSync(fd, tail, 0, tail.length, complete)
      if (!tail.toString('utf8').startsWith('{"line":')) {
        throw new UsageError(`cannot resume from --out \`${path}\`: its last line is not a summarize-urls JSONL record`)
      }
      ftruncateSync(fd, complete)
      state.tornBytes = size - complete
    }
    state.size = complete
  } finally {
    closeSync(fd)
  }
  return state
}

/** The records of a journal from byte `start` on, with where each is; lines that are not records are passed over. */
export async function* journalEntries(path: string, start = 0, keyColumns: readonly string[] = []): AsyncGenerator<JournalEntry> {
  for await (const { record } of journalLines(path, start, undefined, keyColumns)) if (record !== undefined) yield record
}

/**
 * The non-blank lines of a file from `start` to `end` (exclusive), numbered from 1, each
 * parsed as a record if it is one. Split on bytes, not by readline, so every offset is
 * exact whatever the line endings.
 */
async function* journalLines(path: string, start: number, end?: number, keyColumns: readonly string[] = []): AsyncGenerator<{ number: number; record: JournalEntry | undefined }> {
  if (end !== undefined && end <= start) return
  let number = 0
  let pending: Buffer[] = []
  let pendingBytes = 0
  let offset = start
  const line = (bytes: Buffer): { number: number; record: JournalEntry | undefined } | undefined => {
    const at = offset
    offset += bytes.length
    const text = bytes.toString('utf8')
    number += 1
    if (text.trim() === '') return undefined
    const record = parseRecord(text, keyColumns)
    return { number, record: record === undefined ? undefined : { ...record, offset: at, length: bytes.length } }
  }
  for await (const chunk of createReadStream(path, { start, ...(end === undefined ? {} : { end: end - 1 }) }) as AsyncIterable<Buffer>) {
    let from = 0
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, at + 1)
      const bytes = pendingBytes === 0 ? piece : Buffer.concat([...pending, piece])
      pending = []
      pendingBytes = 0
      from = at + 1
      const found = line(bytes)
      if (found !== undefined) yield found
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from))
      pendingBytes += chunk.length - from
    }
  }
  if (pendingBytes > 0) {
    const found = line(Buffer.concat(pending))
    if (found !== undefined) yield found
  }
}

/** Bytes up to and including the last newline (0 when there is none). */
function completeLength(fd: number): number {
  const size = fstatSync(fd).size
  const chunk = Buffer.alloc(64 * 1024)
  let end = size
  while (end > 0) {
    const start = Math.max(0, end - chunk.length)
    const read = readSync(fd, chunk, 0, end - start, start)
    const at = chunk.subarray(0, read).lastIndexOf(0x0a)
    if (at >= 0) return start + at + 1
    end = start
  }
  return 0
}

/** The fields that say whose record it is, if the text is a record; `key` as `workKey` makes it from `keyColumns` of its `input`. */
export function parseRecord(text: string, keyColumns: readonly string[] = []): (Pick<PageRecord, 'line' | 'url' | 'status'> & { key: string }) | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    if (typeof value['line'] === 'number' && typeof value['url'] === 'string' && (value['status'] === 'ok' || value['status'] === 'error')) {
      const input = typeof value['input'] === 'object' && value['input'] !== null ? (value['input'] as Row) : undefined
      return { line: value['line'], url: value['url'], status: value['status'], key: workKey(value['url'], keyColumns, input) }
    }
  } catch {
    // not JSON
  }
  return undefined
}
