import { inCliUnit, isComputed, type CliUnit, type NumberRow, type OptionsOf, type ResolvedOf, type Row, type Table } from './table.js'

// One message style for every option of every command, naming the flag the user typed, what
// was expected and what was received: "--concurrency must be an integer from 1 to 10000, got `0`".
// A TypeError, which the CLI prints as a one-line usage error (exit code 2).

export function describeValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``
  return `a value of type ${value === null ? 'null' : typeof value}`
}

function numberExpected(row: NumberRow): string {
  const what = row.kind === 'integer' ? (row.unit === undefined ? 'an integer' : `an integer number of ${row.unit}`) : row.unit === undefined ? 'a number' : `a number of ${row.unit}`
  return `${what} from ${row.min} to ${row.max}`
}

function expected(row: Row): string {
  switch (row.kind) {
    case 'string':
      return 'a non-empty string'
    case 'path':
      return 'a path'
    case 'boolean':
      return 'true or false'
    case 'enum':
      return `one of ${row.values.join(', ')}`
    case 'integer':
    case 'number':
      return numberExpected(row)
  }
}

function refuse(row: Row, expectation: string, value: unknown): never {
  throw new TypeError(`--${row.flag} must be ${expectation}, got ${describeValue(value)}`)
}

/** A given value, checked against its row; strings come back trimmed. */
export function checkValue(row: Row, value: unknown): unknown {
  switch (row.kind) {
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') refuse(row, expected(row), value)
      return value.trim()
    case 'path':
      if (typeof value !== 'string' || value.trim() === '') refuse(row, expected(row), value)
      return value
    case 'boolean':
      if (typeof value !== 'boolean') refuse(row, expected(row), value)
      return value
    case 'enum':
      if (typeof value !== 'string' || !row.values.includes(value)) refuse(row, expected(row), value)
      return value
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !(value >= row.min && value <= row.max) || (row.kind === 'integer' && !Number.isInteger(value))) refuse(row, expected(row), value)
      return value
  }
}

/**
 * Checks the library options a table declares and fills in their defaults; options not in
 * the table are ignored. Cross-option rules belong to the command's own resolver, after this.
 */
export function resolveTable<T extends Table>(table: T, options: OptionsOf<T>): ResolvedOf<T> {
  const given = options as Record<string, unknown>
  const resolved: Record<string, unknown> = {}
  for (const [key, row] of Object.entries(table)) {
    if (row.cliOnly === true) continue
    const value = given[key]
    if (value !== undefined) resolved[key] = checkValue(row, value)
    else resolved[key] = isComputed(row.default) ? row.default.compute() : row.default
  }
  return resolved as ResolvedOf<T>
}

/** A flag's value in the library's unit, refused in the unit the user typed (`--fetch-timeout` in seconds). */
export function fromCliUnit(row: NumberRow, unit: CliUnit, value: unknown): number {
  const [min, max] = [inCliUnit(row, row.min), inCliUnit(row, row.max)]
  if (typeof value !== 'number' || !(value >= min && value <= max)) refuse(row, `a number of ${unit.name} from ${min} to ${max}`, value)
  const converted = value * unit.factor
  return row.kind === 'integer' ? Math.round(converted) : converted
}
