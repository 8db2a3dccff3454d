import type { Row } from '../input/item.js'
import { ZERO_TIMINGS, type PageRecord } from '../record.js'
import { displayUrl } from '../redact.js'

/**
 * Finished pages remembered for duplicate lines; past it the least recently asked-for are
 * forgotten (a later duplicate of one is fetched again), so memory stays about flat
 * on a 100,000-line list.
 */
const SEEN_URLS_LIMIT = 10_000

/** A later line asking for a URL that is in flight: it gets that page's record when it finishes. */
export interface Duplicate {
  seq: number
  line: number
  url: string
  /** Its own row's cells: a duplicate URL keeps its own columns. */
  columns?: Row
}

/**
 * The URLs of this run, each with its record once it is done, or the later lines waiting for
 * it while it is in flight: each URL is fetched and summarized once. Pages in flight are
 * always kept (at most `concurrency` of them); finished ones are an LRU bounded by
 * SEEN_URLS_LIMIT.
 */
export class SeenUrls {
  /** `record` is kept as JSON: a flat string, where the record's own strings may be slices that hold a whole page's text. */
  readonly #entries = new Map<string, { record: string | undefined; waiting: Duplicate[] }>()
  #finished = 0

  lookup(key: string): { record: string | undefined; waiting: Duplicate[] } | undefined {
    const entry = this.#entries.get(key)
    if (entry?.record !== undefined) {
      // Most recently used goes last: Map keeps insertion order.
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry
  }

  start(key: string): void {
    this.#entries.set(key, { record: undefined, waiting: [] })
  }

  /** Stores the record and returns the lines that were waiting for it. */
  finish(key: string, record: PageRecord): Duplicate[] {
    const entry = this.#entries.get(key)
    if (entry === undefined) return []
    entry.record = JSON.stringify({ ...record, timingsMs: ZERO_TIMINGS })
    this.#finished += 1
    if (this.#finished > SEEN_URLS_LIMIT) {
      for (const [oldest, candidate] of this.#entries) {
        if (candidate.record === undefined) continue // in flight: its duplicates wait on it
        this.#entries.delete(oldest)
        this.#finished -= 1
        break
      }
    }
    return entry.waiting.splice(0)
  }
}

/** A duplicate line's record: the first line's outcome, this line's number and URL; no time spent. */
export function duplicateRecord(line: { line: number; url: string }, record: PageRecord): PageRecord {
  // The first line's cells are not this line's: the run puts this line's own back.
  const { input: _theirs, ...outcome } = record
  return { ...outcome, line: line.line, url: displayUrl(line.url), timingsMs: ZERO_TIMINGS }
}
