import type { AsyncBuffer, FileMetaData } from 'hyparquet'
import { UsageError } from '../errors.js'
import type { CellValue, ColumnInfo, ColumnType, InputItem, InputReader, Row } from './item.js'
import { rowItem } from './row-item.js'

/**
 * A Parquet table, read with `hyparquet` one row group at a time: memory holds one row
 * group's rows, never the file (a writer's row group is typically 10,000 to 1,000,000
 * rows). Parquet is read from its footer, so it needs a file, not a pipe. Cells become JSON
 * values: 64-bit integers become numbers (strings past 2^53), dates ISO strings, bytes
 * base64; each column's Parquet type is kept for a Parquet output.
 */
export async function openParquet(path: string, options: { urlColumn: string }): Promise<InputReader> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet')
  let file: AsyncBuffer
  let metadata: FileMetaData
  try {
    file = await asyncBufferFromFile(path)
    metadata = await parquetMetadataAsync(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code
    throw new UsageError(`cannot read \`${path}\` as Parquet: ${code ?? (error instanceof Error ? error.message : String(error))}`, { cause: error })
  }
  const columns: ColumnInfo[] = parquetSchema(metadata).children.map((child) => ({ name: child.element.name, type: parquetType(child.element, child.children.length) }))
  let closed = false
  async function* items(): AsyncGenerator<InputItem> {
    let row = 0
    let start = 0
    for (const group of metadata.row_groups) {
      if (closed) return
      const end = start + Number(group.num_rows)
      const rows = await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end })
      start = end
      for (const values of rows) {
        row += 1
        const cells: Row = {}
        for (const column of columns) cells[column.name] = toCell(values[column.name])
        yield rowItem(row, cells, options.urlColumn)
      }
    }
  }
  return { columns, rows: Number(metadata.num_rows), items, close: () => void (closed = true) }
}

interface Element {
  type?: string | undefined
  converted_type?: string | undefined
  logical_type?: { type: string } | undefined
}

function parquetType(element: Element, children: number): ColumnType {
  if (children > 0) return 'json'
  const logical = element.logical_type?.type ?? element.converted_type
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean'
    case 'INT32':
      return logical === undefined || logical === 'INT_32' || logical === 'INTEGER' ? 'int32' : 'json'
    case 'INT64':
      return logical === undefined || logical === 'INT_64' || logical === 'INTEGER' ? 'int64' : 'json'
    case 'FLOAT':
    case 'DOUBLE':
      return 'double'
    case 'BYTE_ARRAY':
      return logical === 'UTF8' || logical === 'STRING' || logical === 'ENUM' ? 'string' : 'json'
    default:
      return 'json'
  }
}

function toCell(value: unknown): CellValue {
  if (value === undefined || value === null) return null
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (value instanceof Date) return value.toISOString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) return value.map(toCell)
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toCell(inner)]))
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  return value as CellValue
}
