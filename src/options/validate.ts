import { inCliUnit, isComputed, type CliUnit, type ListRow, type NumberRow, type OptionsOf, type ResolvedOf, type Row, type Table } from './table.js'

// One message style for every option of every command, naming the flag the user typed, what
// was expected and what was received: "--concurrency must be an integer from 1 to 10000, got `0`".
// A TypeError, which the CLI prints as a one-line usage error (exit code 2).

export function describeValue(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``
  if (Array.isArray(value) && value.length === 0) return 'an empty list'
  return `a value of type ${value === null ? 'null' : typeof value}`
}

type Bounds = Pick<NumberRow, 'kind' | 'min' | 'max' | 'exclusiveMin' | 'unit'>

function numberExpected(row: Bounds): string {
  const what = row.kind === 'integer' ? (row.unit === undefined ? 'an integer' : `an integer number of ${row.unit}`) : row.unit === undefined ? 'a number' : `a number of ${row.unit}`
  if (row.exclusiveMin === true) return `${what} greater than ${row.min}`
  if (row.max !== undefined) return `${what} from ${row.min} to ${row.max}`
  return row.unit === undefined ? `${what} of ${row.min} or more` : `${what}, ${row.min} or more`
}

function inBounds(row: Bounds, value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false
  if (row.kind === 'integer' && !Number.isInteger(value)) return false
  return (row.exclusiveMin === true ? value > row.min : value >= row.min) && (row.max === undefined || value <= row.max)
}

function listExpected(row: ListRow): string {
  switch (row.item.kind) {
    case 'enum':
      return `one or more of ${row.item.values.join(', ')}`
    case 'integer':
      return `a list of ${numberExpected({ ...row.item, unit: undefined }).replace(/^an integer/, 'integers')}`
    case 'string':
      return 'a list of non-empty strings'
  }
}

function expected(row: Row): string {
  if (row.expected !== undefined) return row.expected
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
    case 'list':
      return listExpected(row)
  }
}

function refuse(row: Row, expectation: string, value: unknown): never {
  throw new TypeError(`--${row.flag} must be ${expectation}, got ${describeValue(value)}`)
}

/** The enum value spelled as declared; case is ignored (`--format CSV`), since no two values differ only by it. */
function enumValue(values: readonly string[], value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const wanted = value.trim().toLowerCase()
  return values.find((v) => v.toLowerCase() === wanted)
}

function checkList(row: ListRow, value: unknown): unknown[] {
  if (!Array.isArray(value) || (value.length === 0 && row.allowEmpty !== true)) refuse(row, expected(row), value)
  const item = row.item
  const checked = value.map((v): string | number => {
    switch (item.kind) {
      case 'enum': {
        const found = enumValue(item.values, v)
        if (found === undefined) refuse(row, expected(row), v)
        return found
      }
      case 'integer':
        // Each value is refused as the single integer it should have been.
        if (!inBounds(item, v)) refuse(row, numberExpected(item), v)
        return v
      case 'string':
        if (typeof v !== 'string' || v.trim() === '') refuse(row, expected(row), v)
        return v.trim()
    }
  })
  const unique = [...new Set(checked)]
  return row.sorted === true ? unique.sort((a, b) => Number(a) - Number(b)) : unique
}

/** A given value, checked against its row; strings come back trimmed, enum values as declared. */
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
    case 'enum': {
      const found = enumValue(row.values, value)
      if (found === undefined) refuse(row, expected(row), value)
      return found
    }
    case 'integer':
    case 'number':
      if (!inBounds(row, value)) refuse(row, expected(row), value)
      return value
    case 'list':
      return checkList(row, value)
  }
}

/** A row's default, worked out now if it is computed; lists are copied so a caller may change them. */
export function defaultOf(row: Row): unknown {
  const value = isComputed(row.default) ? row.default.compute() : row.default
  return Array.isArray(value) ? [...value] : value
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
    resolved[key] = value !== undefined ? checkValue(row, value) : defaultOf(row)
  }
  return resolved as ResolvedOf<T>
}

/** A flag's value in the library's unit, refused in the unit the user typed (`--fetch-timeout` in seconds). */
export function fromCliUnit(row: NumberRow, unit: CliUnit, value: unknown): number {
  const typed: Bounds = { ...row, min: inCliUnit(row, row.min), max: row.max === undefined ? undefined : inCliUnit(row, row.max), unit: unit.name }
  if (!inBounds({ ...typed, kind: 'number' }, value)) refuse(row, numberExpected({ ...typed, kind: 'number' }), value)
  const converted = value * unit.factor
  return row.kind === 'integer' ? Math.round(converted) : converted
}
