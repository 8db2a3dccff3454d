import { closeSync, createReadStream, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { OutputError, UsageError } from '../errors.js'
import type { PageRecord } from '../record.js'
import type { RecordSink } from './sink.js'
import { jsonlLine } from './jsonl.js'

/**
 * A JSONL `--out` file written as a journal: each record is appended, as it finishes, with one
 * synchronous `write(2)` of the whole line, so a crash (even SIGKILL) loses no finished page
 * and leaves at most one torn last line. `--resume` reads it back; `compactJournal` puts it in
 * input order at the end of the run.
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

export interface JournalState {
  /** Lines whose record is `ok`, with the URL it was for: those lines are done. */
  done: Map<number, string>
  /** Records read (every status). */
  records: number
  /** Bytes of a torn last line that were cut off. */
  tornBytes: number
}

/**
 * Reads an existing journal for `--resume`: which lines are done, ignoring (and cutting off)
 * a torn last line left by a crash. A missing file is an empty journal. A line in the middle
 * that is not a record means the file is not ours: refuse rather than overwrite it.
 */
export async function loadJournal(path: string): Promise<JournalState> {
  const state: JournalState = { done: new Map(), records: 0, tornBytes: 0 }
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
    let lineNumber = 0
    const lines = complete === 0 ? [] : createInterface({ input: createReadStream(path, { end: complete - 1 }), crlfDelay: Infinity })
    for await (const text of lines) {
      lineNumber += 1
      if (text.trim() === '') continue
      const record = parseRecord(text)
      if (record === undefined) {
        throw new UsageError(`cannot resume from --out \`${path}\`: line ${lineNumber} is not a summarize-urls JSONL record`)
      }
      state.records += 1
      // A later record for the same line wins: the journal is appended to, never edited.
      if (record.status === 'ok') state.done.set(record.line, record.url)
      else state.done.delete(record.line)
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
  } finally {
    closeSync(fd)
  }
  return state
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

function parseRecord(text: string): Pick<PageRecord, 'line' | 'url' | 'status'> | undefined {
  try {
    const value = JSON.parse(text) as Record<string, unknown>
    if (typeof value['line'] === 'number' && typeof value['url'] === 'string' && (value['status'] === 'ok' || value['status'] === 'error')) {
      return value as unknown as PageRecord
    }
  } catch {
    // not JSON
  }
  return undefined
}

/**
 * Rewrites the journal in input order with one record per line, the latest for each: a
 * resumed file has the earlier failed records and their retries. Written to a temporary file
 * and renamed over the journal, so a crash here leaves the journal as it was.
 */
export async function compactJournal(path: string, keep: (line: number, url: string) => boolean = () => true): Promise<{ records: number }> {
  // Pass 1 notes where each line's latest record is (offset and length), not the record
  // itself: memory stays small on a 100,000-line journal. Pass 2 copies them in line order.
  const offsets: number[] = []
  const lengths: number[] = []
  let position = 0
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    const bytes = Buffer.byteLength(text) + 1
    const record = text.trim() === '' ? undefined : parseRecord(text)
    if (record !== undefined && Number.isSafeInteger(record.line) && record.line >= 1 && keep(record.line, record.url)) {
      offsets[record.line] = position
      lengths[record.line] = bytes
    }
    position += bytes
  }
  const temporary = `${path}.compacting-${process.pid}`
  let records = 0
  try {
    const source = openSync(path, 'r')
    const target = openSync(temporary, 'w')
    try {
      let batch: Buffer[] = []
      let batchBytes = 0
      const flush = (): void => {
        const joined = Buffer.concat(batch)
        let written = 0
        while (written < joined.length) written += writeSync(target, joined, written)
        batch = []
        batchBytes = 0
      }
      for (let line = 1; line < offsets.length; line++) {
        const offset = offsets[line]
        const length = lengths[line]
        if (offset === undefined || length === undefined) continue
        const record = Buffer.alloc(length)
        readSync(source, record, 0, length, offset)
        // The last record of a file may lack its newline only if the file was cut by hand.
        record[length - 1] = 0x0a
        batch.push(record)
        batchBytes += length
        records += 1
        if (batchBytes > 1 << 20) flush()
      }
      flush()
      fdatasyncSync(target)
    } finally {
      closeSync(source)
      closeSync(target)
    }
    renameSync(temporary, path)
  } catch (error) {
    rmSync(temporary, { force: true })
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
    throw new OutputError(errno, `cannot put \`${path}\` in input order: ${errno}; its records are all there, in completion order`, { cause: error })
  }
  return { records }
}
