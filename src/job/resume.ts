import { UsageError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import { loadJournal } from '../output/journal.js'
import { displayUrl } from '../redact.js'

/**
 * Refuses `resume` without a JSONL `out` file, before anything is opened: there is nothing
 * else to resume from.
 */
export function checkResumable(out: string | undefined, format: OutputFormat): void {
  if (out === undefined) throw new UsageError('--resume needs --out FILE: the file to resume')
  if (format !== 'jsonl') throw new UsageError(`--resume works on JSONL output; \`${out}\` is ${format}`)
}

/**
 * A run that keeps the ok records already in its journal and does the rest: those lines are
 * skipped (no fetch, no model call, no record), and when the file is put in order it keeps
 * only records for the lines and URLs the input has now.
 */
export class Resume {
  /** Ok records found in the file. */
  readonly done: number
  /** Bytes of a torn last line (a crash mid-write) that were cut off. */
  readonly tornBytes: number
  readonly #done: Map<number, string>
  /** The input's lines as read, to drop records the file holds for lines or URLs the input no longer has (a changed list). */
  readonly #inputLines = new Map<number, string>()

  private constructor(done: Map<number, string>, tornBytes: number) {
    this.#done = done
    this.done = done.size
    this.tornBytes = tornBytes
  }

  /** Reads the journal at `out`; `journal` says whether `out` can be one (a regular file). */
  static async open(out: string, journal: boolean): Promise<Resume> {
    if (!journal) throw new UsageError(`--resume needs --out to be a regular file, not a device or a symlink: \`${out}\``)
    const state = await loadJournal(out)
    return new Resume(state.done, state.tornBytes)
  }

  /** The run's `skip` hook: true for a line the file already has an ok record for. */
  readonly skip = (item: { line: number; url: string }): boolean => {
    // Records hold the URL as displayed (no `user:password@`): compare in that form.
    const url = displayUrl(item.url)
    this.#inputLines.set(item.line, url)
    return this.#done.get(item.line) === url
  }

  /**
   * Which records to keep when the file is put in order. Only a run that read the whole
   * input knows every line it has: after an interruption every record is kept.
   */
  keep(interrupted: boolean): ((line: number, url: string) => boolean) | undefined {
    return interrupted ? undefined : (line, url) => this.#inputLines.get(line) === url
  }
}
