import type { ErrorData } from '../errors.js'

/** A cell of an input table, as JSON can hold it (Parquet's 64-bit integers and dates are converted when read). */
export type CellValue = string | number | boolean | null | CellValue[] | { [key: string]: CellValue }

/** A table row's cells by column name, in the table's column order. */
export type Row = Record<string, CellValue>

/**
 * One item of the input: a URL line of a list, or a row of a table. `line` is 1-based: the
 * line of a list (every line of the file counted), the row of a table (its header not
 * counted: row 1 is the first data row, pandas' index 0). A row without a usable URL is
 * not fatal: it comes out with an `INVALID_URL` error and gets its record like any other.
 */
export type InputItem = { line: number; url: string; columns?: Row; error?: undefined } | { line: number; url: string; columns?: Row; error: ErrorData }

/** How a column's values are written back to a typed output (Parquet). */
export type ColumnType = 'string' | 'boolean' | 'int32' | 'int64' | 'double' | 'json'

export interface ColumnInfo {
  name: string
  type: ColumnType
}

/**
 * What every input format offers, so a reader for a new format is one file: the table's
 * columns, known once it is opened (before any page is fetched), and its items as a stream.
 */
export interface InputReader {
  /** The table's columns, in its order; none for a URL list. */
  readonly columns: readonly ColumnInfo[]
  /** How many items there are, when the format says so up front (a Parquet footer); else undefined. */
  readonly rows?: number | undefined
  /** The items, read lazily: memory holds the rows in flight, never the file. */
  items(): AsyncGenerator<InputItem>
  /** Releases the file, whether or not the items were read to the end. */
  close(): void
}

/** A cell as text: a string as it is, null as '', anything else as JSON. */
export function cellText(value: CellValue | undefined): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}
