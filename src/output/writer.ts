import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { OutputError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import type { PageRecord } from '../record.js'
import type { RecordSink } from './sink.js'
import { csvHeader, csvRow } from './csv.js'
import { jsonlLine } from './jsonl.js'
import { markdownHeader, markdownRow } from './markdown.js'

/** The formats written as text lines; Parquet has its own writer (parquet.ts). */
export type TextFormat = Exclude<OutputFormat, 'parquet'>

/** `inputNames`: a table's kept columns, which CSV writes first (JSONL records hold them in `input`; Markdown shows the page only). */
const FORMATS: Record<TextFormat, (inputNames: readonly string[]) => { header: string; row: (record: PageRecord) => string }> = {
  jsonl: () => ({ header: '', row: jsonlLine }),
  csv: (inputNames) => ({ header: csvHeader(inputNames), row: (record) => csvRow(record, inputNames) }),
  md: () => ({ header: markdownHeader(), row: markdownRow }),
}

/**
 * Writes records to a stream in the chosen format. Each record is one `write()` of a whole
 * line, so a crash leaves at most one torn last line; a full stream pauses the run
 * (backpressure) rather than buffering without bound.
 */
export class RecordWriter implements RecordSink {
  readonly #stream: Writable
  readonly #row: (record: PageRecord) => string
  readonly #name: string
  #headerPending: string
  #error: OutputError | undefined

  /** `name` says where the records go (a path, or `stdout`), for the error message. */
  constructor(stream: Writable, format: TextFormat, name = 'the output', inputNames: readonly string[] = []) {
    this.#stream = stream
    const { header, row } = FORMATS[format](inputNames)
    this.#row = row
    this.#headerPending = header
    this.#name = name
    // Without a listener a closed pipe or a full disk would be an uncaught exception.
    stream.on('error', (error) => {
      this.#error ??= toOutputError(error, this.#name)
    })
  }

  /** The first write error, if any: the run checks it to stop. */
  get error(): OutputError | undefined {
    return this.#error
  }

  async write(record: PageRecord, signal?: AbortSignal): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    const text = this.#headerPending + this.#row(record)
    this.#headerPending = ''
    if (!this.#stream.write(text)) {
      try {
        await once(this.#stream, 'drain', signal === undefined ? {} : { signal })
      } catch (error) {
        if (signal?.aborted) throw error
        throw (this.#error ??= toOutputError(error, this.#name))
      }
    }
  }

  /** Writes the header even when there were no records, so an empty run is still a valid file. */
  async finish(): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    if (this.#headerPending !== '') {
      this.#stream.write(this.#headerPending)
      this.#headerPending = ''
    }
  }
}

function toOutputError(error: unknown, name: string): OutputError {
  const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
  return new OutputError(errno, `cannot write records to ${name}: ${errno}`, { cause: error })
}
