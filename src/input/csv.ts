import type { Readable } from 'node:stream'
import { parse, type Info } from 'csv-parse'
import { ERROR_CODES, UsageError } from '../errors.js'
import type { ColumnInfo, InputItem, InputReader, Row } from './item.js'
import { rowItem } from './row-item.js'

/**
 * A CSV or TSV table (RFC 4180: quoted fields holding delimiters, quotes and line breaks; a
 * BOM; CRLF or LF), parsed by `csv-parse` as a stream with backpressure, so memory holds the
 * rows in flight and never the file. The first record is the header. Every cell is kept as
 * the exact string it parsed to: nothing is trimmed, cast or unquoted twice, so a cell
 * written back to CSV reads back the same. A row with another number of fields than the
 * header is an error record, not the end of the run; a broken quote is (it swallows the
 * rest of the file).
 */
export async function openCsv(stream: Readable, options: { delimiter: ',' | '\t'; urlColumn: string; name: string }): Promise<InputReader> {
  const parser = stream.pipe(
    parse({ bom: true, delimiter: options.delimiter, relax_column_count: true, skip_empty_lines: true, info: true }),
  )
  // A failing source (EIO) reaches the parser's reader through this.
  stream.on('error', (error) => parser.destroy(error))
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: Info }>
  const first = await records.next().catch((error: unknown) => fail(error, options.name))
  const header = first.done === true ? [] : first.value.record
  const seen = new Set<string>()
  for (const name of header) {
    if (seen.has(name)) throw new UsageError(`\`${options.name}\` names the column \`${name}\` twice in its header: rename one, so each cell has one name`)
    seen.add(name)
  }
  const columns: ColumnInfo[] = header.map((name) => ({ name, type: 'string' }))
  async function* items(): AsyncGenerator<InputItem> {
    let row = 0
    for (;;) {
      const next = await records.next().catch((error: unknown) => fail(error, options.name))
      if (next.done === true) return
      row += 1
      const cells = next.value.record
      const values: Row = {}
      header.forEach((name, at) => (values[name] = cells[at] ?? null))
      const item = rowItem(row, values, options.urlColumn)
      if (cells.length !== header.length && item.error === undefined) {
        yield { ...item, error: { code: ERROR_CODES.INVALID_ROW, message: `row ${row} has ${cells.length} fields, the header has ${header.length}: a quote or a ${options.delimiter === ',' ? 'comma' : 'tab'} is missing or extra`, attempts: 1 } }
        continue
      }
      yield item
    }
  }
  return { columns, items, close: () => {
    parser.destroy()
    stream.destroy()
  } }
}

/** A malformed file (an unclosed quote) is the user's input: one line naming the file and where. */
function fail(error: unknown, name: string): never {
  if (error instanceof UsageError) throw error
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as NodeJS.ErrnoException | null)?.code
  const parsed = (error as { records?: unknown } | null)?.records
  if (code === 'CSV_QUOTE_NOT_CLOSED' && typeof parsed === 'number') {
    // csv-parse names the line it reached (the end of the file); the quote opened in the record
    // after the last complete one: the header is record 1, so that is row `parsed`.
    throw new UsageError(`cannot parse \`${name}\` as CSV: a quote in row ${parsed} (the header not counted) is never closed, so the rest of the file reads as one cell (${message}). Close it, or double a quote inside a cell (""), and run again; --resume keeps the rows already done`, { cause: error })
  }
  throw new UsageError(code !== undefined && code.startsWith('CSV_') ? `cannot parse \`${name}\` as CSV: ${message}` : `cannot read \`${name}\`: ${code ?? message}`, { cause: error })
}
