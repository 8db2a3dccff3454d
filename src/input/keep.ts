import type { Row } from './item.js'

/**
 * The cells a record carries (`--keep-columns`): all of a row's (a JSONL row's extra keys
 * too), none, or the named ones in the order named. Undefined for a list's lines, which have
 * no cells, so their records stay as they were before tables.
 */
export function columnPicker(keep: 'all' | 'none' | readonly string[]): (row: Row | undefined) => Row | undefined {
  if (keep === 'all') return (row) => row
  if (keep === 'none') return () => undefined
  return (row) => {
    if (row === undefined) return undefined
    const picked: Row = {}
    for (const name of keep) picked[name] = row[name] ?? null
    return picked
  }
}

/** The names a flat output (CSV, Parquet) writes first: the table's columns that are kept. */
export function keptNames(keep: 'all' | 'none' | readonly string[], columns: readonly { name: string }[]): string[] {
  if (keep === 'none') return []
  if (keep === 'all') return columns.map((column) => column.name)
  return [...keep]
}
