import { rm } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import { appendRecords, putInOrder, writeRecords, type RecordCopy } from '../output/journal-compact.js'
import { journalEntries, loadJournal, type JournalEntry } from '../output/journal.js'
import type { Row } from '../input/item.js'
import { workKey } from '../input/work-key.js'
import { displayUrl } from '../redact.js'

/**
 * Refuses `resume` without a JSONL `out` file, before anything is opened: there is nothing
 * else to resume from.
 */
export function checkResumable(out: string | undefined, format: OutputFormat): void {
  if (out === undefined) throw new UsageError('--resume needs --out FILE: the file to resume')
  if (format !== 'jsonl') throw new UsageError(`--resume works on JSONL output; \`${out}\` is ${format}`)
}

/** `<out>.orphaned.jsonl`: finished records whose URL a resumed input no longer has. */
export function orphansPath(out: string): string {
  return `${out}.orphaned.jsonl`
}

/** An ok record found on resume, and the file it is in (the journal or the orphans file). */
type Found = JournalEntry & { file: string }

/**
 * A run that keeps the ok records already in its journal and does the rest. Finished work is
 * matched by URL, not line number: a list that was reordered, grew a line at the top, or lost
 * some lines redoes nothing that is done, and every line with a done URL (duplicates too)
 * gets its record, renumbered. Records of URLs the new list no longer has are moved to
 * `<out>.orphaned.jsonl`, never dropped, and a later resume whose list has them uses them.
 */
export class Resume {
  /** URLs with an ok record, in the journal or the orphans file. */
  readonly done: number
  /** Bytes of a torn last line (a crash mid-write) that were cut off. */
  readonly tornBytes: number
  readonly #out: string
  /** The journal's size when the run began: the records after it are this run's. */
  readonly #start: number
  readonly #done: Map<string, Found>
  /** The lines skipped because their URL is done: each gets that URL's record. */
  readonly #taken: Array<{ line: number; key: string; input: Row | undefined }> = []
  /** The keys (workKey) the input asks for. */
  readonly #inputUrls = new Set<string>()
  /** Keys the orphans file has records for. */
  readonly #orphanUrls: ReadonlySet<string>
  /** The columns the prompt names: part of what a record answered. */
  readonly #keyColumns: readonly string[]

  private constructor(out: string, start: number, done: Map<string, Found>, orphanUrls: ReadonlySet<string>, tornBytes: number, keyColumns: readonly string[]) {
    this.#out = out
    this.#keyColumns = keyColumns
    this.#orphanUrls = orphanUrls
    this.#start = start
    this.#done = done
    this.done = done.size
    this.tornBytes = tornBytes
  }

  /**
   * Reads the journal at `out` and its orphans file; `journal` says whether `out` can be one
   * (a regular file). `keyColumns`: the columns the prompt names; a record answered its URL
   * with those cells of its `input` (a record without them, `--keep-columns` having left them
   * out, matches no row and is redone).
   */
  static async open(out: string, journal: boolean, keyColumns: readonly string[] = []): Promise<Resume> {
    if (!journal) throw new UsageError(`--resume needs --out to be a regular file, not a device or a symlink: \`${out}\``)
    const orphans = await loadJournal(orphansPath(out), keyColumns)
    const state = await loadJournal(out, keyColumns)
    const done = new Map<string, Found>()
    // The journal's record wins over an orphaned one for the same key: it is the later.
    for (const entry of orphans.ok.values()) done.set(entry.key, { ...entry, file: orphansPath(out) })
    for (const entry of state.ok.values()) done.set(entry.key, { ...entry, file: out })
    return new Resume(out, state.size, done, new Set(orphans.ok.keys()), state.tornBytes, keyColumns)
  }

  // Records hold the URL as displayed (no `user:password@`): compare in that form.
  #keyOf(item: { url: string; columns?: Row | undefined }): string {
    return workKey(displayUrl(item.url), this.#keyColumns, item.columns)
  }

  /** Whether the item has an ok record; unlike `skip`, it notes nothing (the line count asks it). */
  readonly isDone = (item: { url: string; columns?: Row | undefined }): boolean => this.#done.has(this.#keyOf(item))

  /** The run's `skip` hook: true for a line whose URL (and prompt cells) already has an ok record. */
  readonly skip = (item: { line: number; url: string; input?: Row | undefined; columns?: Row | undefined }): boolean => {
    const key = this.#keyOf(item)
    this.#inputUrls.add(key)
    if (!this.#done.has(key)) return false
    // The done record goes to this line with this row's own cells (a duplicate URL's differ).
    this.#taken.push({ line: item.line, key, input: item.input })
    return true
  }

  /**
   * After a run that read its whole input: writes the journal as one record per input line,
   * in order, and keeps the records of URLs the input no longer has in the orphans file.
   * Nothing is lost if the process dies at any step: new orphans are appended to the orphans
   * file (where the records already there keep their place) before the journal is replaced,
   * and only then does the orphans file lose the records the journal took from it.
   */
  async finish(): Promise<{ orphaned: number; file: string }> {
    const out = this.#out
    const file = orphansPath(out)
    const fresh = new Map<number, JournalEntry>()
    for await (const entry of journalEntries(out, this.#start, this.#keyColumns)) fresh.set(entry.line, entry)
    const copies: RecordCopy[] = [...fresh.values()].map((entry) => copyOf({ ...entry, file: out }, entry.line))
    for (const { line, key, input } of this.#taken) copies.push({ ...copyOf(this.#done.get(key)!, line), input })

    const found = [...this.#done.values()]
    const orphaned = found.filter((entry) => !this.#inputUrls.has(entry.key))
    const leaving = orphaned.filter((entry) => entry.file === out)
    if (leaving.length > 0) {
      appendRecords(file, leaving.map((entry) => copyOf(entry, entry.line)), (errno) => `cannot keep the records of URLs the input no longer has in \`${file}\`: ${errno}; \`${out}\` is as it was`)
    }
    putInOrder(out, copies)
    if ([...this.#orphanUrls].some((url) => this.#inputUrls.has(url))) {
      if (orphaned.length === 0) await rm(file, { force: true })
      else await this.#rewriteOrphans(file)
    }
    return { orphaned: orphaned.length, file }
  }

  /** The orphans file without the records the journal now holds. */
  async #rewriteOrphans(file: string): Promise<void> {
    const keep = new Map<string, RecordCopy>()
    for await (const entry of journalEntries(file, 0, this.#keyColumns)) {
      if (entry.status === 'ok' && !this.#inputUrls.has(entry.key)) keep.set(entry.key, copyOf({ ...entry, file }, entry.line))
    }
    writeRecords(file, [...keep.values()], (errno) => `cannot rewrite \`${file}\`: ${errno}; its records are also in \`${this.#out}\``)
  }
}

function copyOf(entry: Found, to: number): RecordCopy {
  return { file: entry.file, offset: entry.offset, length: entry.length, line: entry.line, to }
}
