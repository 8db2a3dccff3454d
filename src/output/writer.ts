import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { OutputFormat } from '../options.js'
import type { PageRecord } from '../record.js'
import type { RecordSink } from '../run.js'
import { csvHeader, csvRow } from './csv.js'
import { jsonlLine } from './jsonl.js'
import { markdownHeader, markdownRow } from './markdown.js'

const FORMATS: Record<OutputFormat, { header: string; row: (record: PageRecord) => string }> = {
  jsonl: { header: '', row: jsonlLine },
  csv: { header: csvHeader(), row: csvRow },
  md: { header: markdownHeader(), row: markdownRow },
}

/**
 * Writes records to a stream in the chosen format. Each record is one `write()` of a whole
 * line, so a crash leaves at most one torn last line; a full stream pauses the run
 * (backpressure) rather than buffering without bound.
 */
export class RecordWriter implements RecordSink {
  readonly #stream: Writable
  readonly #row: (record: PageRecord) => string
  #headerPending: string

  constructor(stream: Writable, format: OutputFormat) {
    this.#stream = stream
    this.#row = FORMATS[format].row
    this.#headerPending = FORMATS[format].header
  }

  async write(record: PageRecord): Promise<void> {
    const text = this.#headerPending + this.#row(record)
    this.#headerPending = ''
    if (!this.#stream.write(text)) await once(this.#stream, 'drain')
  }

  /** Writes the header even when there were no records, so an empty run is still a valid file. */
  async finish(): Promise<void> {
    if (this.#headerPending !== '') {
      this.#stream.write(this.#headerPending)
      this.#headerPending = ''
    }
  }
}
