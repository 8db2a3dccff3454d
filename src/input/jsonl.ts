import type { Readable } from 'node:stream'
import { ERROR_CODES, UsageError } from '../errors.js'
import type { CellValue, ColumnInfo, ColumnType, InputItem, InputReader, Row } from './item.js'
import { splitLines, type ListLine } from './lines.js'
import { rowItem } from './row-item.js'

/**
 * Longest row of a JSON Lines table kept, in characters: rows carry text columns, so far more
 * than a URL line, but one line without a break (a minified file given as JSONL) must not
 * take gigabytes. A longer row is an error record.
 */
export const MAX_JSONL_ROW_CHARS = 16 * 1024 * 1024

/**
 * A JSON Lines table: one object a line, blank lines skipped. The first row's keys are the
 * table's columns (pandas' `to_json(orient='records', lines=True)` writes every key on every
 * row); a later row's extra keys stay in its JSONL record's `input`, and a missing key is
 * null. Read line by line as a stream.
 */
export async function openJsonl(stream: Readable, options: { urlColumn: string; name: string }): Promise<InputReader> {
  const lines = splitLines(stream, MAX_JSONL_ROW_CHARS)[Symbol.asyncIterator]()
  let lineNumber = 0
  const nextLine = async (): Promise<ListLine | undefined> => {
    for (;;) {
      const next = await lines.next().catch((error: unknown) => {
        throw new UsageError(`cannot read \`${options.name}\`: ${(error as NodeJS.ErrnoException | null)?.code ?? String(error)}`, { cause: error })
      })
      if (next.done === true) return undefined
      lineNumber += 1
      if (next.value.text.trim() !== '') return next.value
    }
  }
  const first = await nextLine()
  const parsed = first === undefined ? undefined : parseRow(first)
  if (first !== undefined && !isRow(parsed)) {
    throw new UsageError(`the first row of \`${options.name}\` (line ${lineNumber}) is not a JSON object: a JSON Lines table has one object a line, whose keys are its columns`)
  }
  const firstRow = parsed as Record<string, CellValue> | undefined
  const columns: ColumnInfo[] = firstRow === undefined ? [] : Object.entries(firstRow).map(([name, value]) => ({ name, type: typeOf(value) }))
  async function* items(): AsyncGenerator<InputItem> {
    let row = 0
    for (let line = first; line !== undefined; line = await nextLine()) {
      row += 1
      const value = row === 1 ? firstRow : parseRow(line)
      if (!isRow(value)) {
        const why = line.tooLong ? `is longer than ${MAX_JSONL_ROW_CHARS.toLocaleString('en-US')} characters` : 'is not a JSON object'
        yield { line: row, url: '', error: { code: ERROR_CODES.INVALID_ROW, message: `row ${row} (line ${lineNumber}) ${why}`, attempts: 1 } }
        continue
      }
      // The first row's columns first, in its order, then any others this row has.
      const cells: Row = {}
      for (const column of columns) cells[column.name] = value[column.name] ?? null
      for (const [key, cell] of Object.entries(value)) if (!(key in cells)) cells[key] = cell
      yield rowItem(row, cells, options.urlColumn)
    }
  }
  return { columns, items, close: () => stream.destroy() }
}

function parseRow(line: ListLine): unknown {
  if (line.tooLong) return undefined
  try {
    return JSON.parse(line.text.replace(/^\uFEFF/, ''))
  } catch {
    return undefined
  }
}

function isRow(value: unknown): value is Record<string, CellValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The column's type for a typed output, from the first row's value; anything else is written as JSON text. */
function typeOf(value: CellValue): ColumnType {
  if (typeof value === 'string' || value === null) return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return 'double'
  return 'json'
}
