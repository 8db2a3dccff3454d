import { ERROR_CODES } from '../errors.js'
import { displayUrl } from '../redact.js'
import type { InputItem, Row } from './item.js'
import { urlProblem } from './url-check.js'

/**
 * A table row as an input item: its URL from `urlColumn`, trimmed, checked as a list line is;
 * a row without a usable URL gets an `INVALID_URL` error naming the row and the column, and
 * keeps its cells, so its record still carries them.
 */
export function rowItem(row: number, cells: Row, urlColumn: string): InputItem {
  const value = cells[urlColumn]
  // The URL cell is carried to the record (and the batch work folder) as a kept column: a
  // `user:password@` in it would be written out in clear while the record's `url` hides it.
  const columns = typeof value === 'string' && displayUrl(value) !== value ? { ...cells, [urlColumn]: displayUrl(value) } : cells
  const where = `row ${row}: column \`${urlColumn}\``
  if (typeof value !== 'string' || value.trim() === '') {
    const what = value === undefined || value === null || value === '' ? 'is empty' : typeof value === 'string' ? 'is blank' : `holds ${JSON.stringify(value)}, not a URL`
    return { line: row, url: typeof value === 'string' ? value : '', columns, error: { code: ERROR_CODES.INVALID_URL, message: `${where} ${what}`, attempts: 1 } }
  }
  const url = value.trim()
  const error = urlProblem(url, where)
  return error === undefined ? { line: row, url, columns } : { line: row, url, columns, error }
}

/** A table without its URL column is refused before anything is fetched, naming the columns it has. */
export function missingColumnMessage(name: string, input: string, urlColumn: string, columns: readonly { name: string }[], given: boolean): string {
  const have = columns.length === 0 ? 'it has no columns' : `its columns are ${columns.map((c) => `\`${c.name}\``).join(', ')}`
  const hint = given ? 'check the name (it is case-sensitive)' : 'name the URL column with --url-column NAME'
  return `${name} \`${input}\` has no column \`${urlColumn}\`: ${have}; ${hint}`
}
