import type { ColumnInfo } from '../input/item.js'
import { cellText } from '../input/item.js'
import { OutputError } from '../errors.js'
import type { PageRecord } from '../record.js'
import { CSV_COLUMNS, flatCells, ourColumnNames, type CsvColumn } from './csv.js'
import type { RecordSink } from './sink.js'

/**
 * Rows held before they are written as one row group: memory holds at most this many
 * records, and a reader (DuckDB, pandas) reads a group at a time. 10,000 rows of summaries
 * are a few MB.
 */
const ROW_GROUP_ROWS = 10_000

type BasicType = 'STRING' | 'BOOLEAN' | 'INT32' | 'INT64' | 'DOUBLE'

const OUR_TYPES: Record<CsvColumn, BasicType> = {
  line: 'INT64',
  url: 'STRING',
  finalUrl: 'STRING',
  status: 'STRING',
  title: 'STRING',
  lang: 'STRING',
  charset: 'STRING',
  charsetSource: 'STRING',
  pdfPages: 'INT32',
  pdfPagesRead: 'INT32',
  summary: 'STRING',
  truncated: 'BOOLEAN',
  provider: 'STRING',
  model: 'STRING',
  inputTokens: 'INT64',
  outputTokens: 'INT64',
  fetchMs: 'INT64',
  extractMs: 'INT64',
  summarizeMs: 'INT64',
  totalMs: 'INT64',
  errorCode: 'STRING',
  errorMessage: 'STRING',
  errorAttempts: 'INT32',
  errorHint: 'STRING',
}

const INPUT_TYPES: Record<ColumnInfo['type'], BasicType> = { string: 'STRING', boolean: 'BOOLEAN', int32: 'INT32', int64: 'INT64', double: 'DOUBLE', json: 'STRING' }

interface Column {
  name: string
  type: BasicType
  value: (record: PageRecord, flat: ReturnType<typeof flatCells>) => unknown
}

/**
 * Records as a Parquet file (`hyparquet-writer`): the table's kept columns first, with their
 * input types (a CSV's are strings; a Parquet input's keep theirs; JSON values are written as
 * JSON text), then ours, named as in CSV. Written a row group at a time as records arrive
 * in order, so memory holds one group; the footer is written by `finish`, so a file cut
 * short by a crash is not a Parquet file (use JSONL for a resumable run).
 */
export class ParquetRecordWriter implements RecordSink {
  readonly #columns: Column[]
  readonly #path: string
  #writer: { write(options: { columnData: { name: string; data: unknown[]; type: BasicType }[]; rowGroupSize: number }): void | Promise<void>; finish(): void } | undefined
  #rows: unknown[][]
  #count = 0
  #error: OutputError | undefined

  constructor(path: string, input: readonly ColumnInfo[]) {
    this.#path = path
    const ours = ourColumnNames(input.map((column) => column.name))
    this.#columns = [
      ...input.map((column): Column => ({ name: column.name, type: INPUT_TYPES[column.type], value: (record) => toType(record.input?.[column.name], INPUT_TYPES[column.type]) })),
      ...CSV_COLUMNS.map((name, at): Column => ({ name: ours[at] as string, type: OUR_TYPES[name], value: (_record, flat) => toType(flat[name], OUR_TYPES[name]) })),
    ]
    this.#rows = this.#columns.map(() => [])
  }

  get error(): OutputError | undefined {
    return this.#error
  }

  /** Opens the file (the writer module is loaded only for a Parquet output). */
  async open(): Promise<void> {
    const { ParquetWriter, fileWriter, schemaFromColumnData } = await import('hyparquet-writer')
    try {
      const writer = fileWriter(this.#path)
      const schema = schemaFromColumnData({ columnData: this.#columns.map((column) => ({ name: column.name, data: [], type: column.type })) })
      this.#writer = new ParquetWriter({ writer, schema, createdBy: 'summarize-urls' })
    } catch (error) {
      throw this.#fail(error)
    }
  }

  async write(record: PageRecord): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    const flat = flatCells(record)
    this.#columns.forEach((column, at) => this.#rows[at]?.push(column.value(record, flat)))
    this.#count += 1
    if (this.#count >= ROW_GROUP_ROWS) await this.#flush()
  }

  /** Writes the last row group and the footer: only now is the file a Parquet file. */
  async finish(): Promise<void> {
    if (this.#error !== undefined) throw this.#error
    await this.#flush()
    try {
      this.#writer?.finish()
    } catch (error) {
      throw this.#fail(error)
    }
  }

  async #flush(): Promise<void> {
    if (this.#count === 0 || this.#writer === undefined) return
    const columnData = this.#columns.map((column, at) => ({ name: column.name, data: this.#rows[at] ?? [], type: column.type }))
    const rows = this.#count
    this.#rows = this.#columns.map(() => [])
    this.#count = 0
    try {
      await this.#writer.write({ columnData, rowGroupSize: rows })
    } catch (error) {
      throw this.#fail(error)
    }
  }

  #fail(error: unknown): OutputError {
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO'
    return (this.#error ??= new OutputError(errno, `cannot write records to \`${this.#path}\`: ${errno}`, { cause: error }))
  }
}

/** A value as the column's type takes it; one that does not fit is null rather than a broken file. */
function toType(value: unknown, type: BasicType): unknown {
  if (value === undefined || value === null) return null
  switch (type) {
    case 'STRING':
      return typeof value === 'string' ? value : cellText(value as never)
    case 'BOOLEAN':
      return typeof value === 'boolean' ? value : null
    case 'INT32':
      return typeof value === 'number' && Number.isInteger(value) ? value : null
    case 'INT64':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
      return typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : null
    case 'DOUBLE':
      return typeof value === 'number' ? value : null
  }
}
