import { closeSync, fdatasyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { OutputError } from '../errors.js'
import type { Row } from '../input/item.js'
import type { PageRecord } from '../record.js'
import { journalEntries, type JournalEntry } from './journal.js'
import { jsonlLine } from './jsonl.js'

/** A record to copy into a rewritten file: where its bytes are, and the line it is to have there. */
export interface RecordCopy {
  file: string
  offset: number
  length: number
  /** The line the record holds now. */
  line: number
  /** The line it gets: a resumed record moves to wherever its URL is in the new input. */
  to: number
  /** Set for a resumed record: the cells of the row it now answers (none: the record has no `input`). */
  input?: Row | undefined
}

/**
 * Rewrites the journal in input order with one record per line, the latest for each: an
 * unordered journal, or an interrupted run's. Sorting the lines present (not indexing an
 * array by line number) keeps the cost independent of the numbers: a hand-edited record
 * with line 4,000,000,000 costs what line 4 does.
 */
export async function compactJournal(path: string): Promise<{ records: number }> {
  const latest = new Map<number, JournalEntry>()
  for await (const entry of journalEntries(path)) {
    if (Number.isSafeInteger(entry.line) && entry.line >= 1) latest.set(entry.line, entry)
  }
  const copies = [...latest.values()].map((entry) => ({ file: path, offset: entry.offset, length: entry.length, line: entry.line, to: entry.line }))
  return { records: putInOrder(path, copies) }
}

/**
 * Writes `copies` sorted by `to` as the new content of `path`, with the failure users see
 * when a file could not be put in order. A crash here leaves `path` as it was.
 */
export function putInOrder(path: string, copies: RecordCopy[]): number {
  copies.sort((a, b) => a.to - b.to)
  return writeRecords(path, copies, (errno) => `cannot put \`${path}\` in input order: ${errno}; its records are all there, in completion order`)
}

/**
 * Writes `copies`, in the order given, to a temporary file beside `target`, flushes it, and
 * renames it over `target`: a crash leaves `target` whole, old or new, and at worst the
 * temporary file, which the next run on `target` removes (`removeStaleCompactions`).
 */
export function writeRecords(target: string, copies: readonly RecordCopy[], failure: (errno: string) => string): number {
  const temporary = compactingPath(target, process.pid)
  try {
    copyInto(temporary, 'w', copies)
    renameSync(temporary, target)
  } catch (error) {
    rmSync(temporary, { force: true })
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
    throw new OutputError(errno, failure(errno), { cause: error })
  }
  return copies.length
}

/**
 * Appends `copies` to `target` and flushes it. The records already there keep their
 * offsets, so copies pointing into `target` stay valid; a crash leaves at most a torn last
 * line, which `loadJournal` cuts off.
 */
export function appendRecords(target: string, copies: readonly RecordCopy[], failure: (errno: string) => string): void {
  try {
    copyInto(target, 'a', copies)
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
    throw new OutputError(errno, failure(errno), { cause: error })
  }
}

function copyInto(path: string, flags: 'w' | 'a', copies: readonly RecordCopy[]): void {
  const sources = new Map<string, number>()
  const out = openSync(path, flags)
  try {
    let batch: Buffer[] = []
    let batchBytes = 0
    const flush = (): void => {
      const joined = Buffer.concat(batch)
      let written = 0
      while (written < joined.length) written += writeSync(out, joined, written)
      batch = []
      batchBytes = 0
    }
    for (const copy of copies) {
      let source = sources.get(copy.file)
      if (source === undefined) sources.set(copy.file, (source = openSync(copy.file, 'r')))
      const record = readRecord(source, copy)
      batch.push(record)
      batchBytes += record.length
      if (batchBytes > 1 << 20) flush()
    }
    flush()
    fdatasyncSync(out)
  } finally {
    closeSync(out)
    for (const fd of sources.values()) closeSync(fd)
  }
}

function readRecord(fd: number, copy: RecordCopy): Buffer {
  const bytes = Buffer.alloc(copy.length)
  readSync(fd, bytes, 0, copy.length, copy.offset)
  if (copy.to !== copy.line || copy.input !== undefined) {
    // Key order is kept (`line` stays first, `input` last), so a moved record differs only
    // in its number and its row's cells.
    const { input: _old, ...record } = JSON.parse(bytes.toString('utf8')) as PageRecord
    return Buffer.from(jsonlLine({ ...record, line: copy.to, ...(copy.input === undefined ? {} : { input: copy.input }) }))
  }
  // The last record of a file may lack its newline only if the file was cut by hand.
  return bytes[bytes.length - 1] === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from('\n')])
}

function compactingPath(target: string, pid: number): string {
  return `${target}.compacting-${pid}`
}

/**
 * Removes what a rewrite of `target` killed mid-way (SIGKILL, power cut) left beside it.
 * Call it only while holding `target`'s lock, so no live run of ours can be writing one;
 * `running` spares a process that is still there all the same (an older version without a lock).
 */
export async function removeStaleCompactions(target: string, running: (pid: number) => boolean): Promise<void> {
  const prefix = basename(compactingPath(target, 0)).slice(0, -1)
  const names = await readdir(dirname(target)).catch(() => [])
  for (const name of names) {
    if (!name.startsWith(prefix)) continue
    const pid = Number(name.slice(prefix.length))
    if (!Number.isSafeInteger(pid)) continue
    if (pid === process.pid || !running(pid)) await rm(join(dirname(target), name), { force: true })
  }
}
