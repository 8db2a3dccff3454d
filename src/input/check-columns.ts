import { UsageError } from '../errors.js'
import { PAGE_PLACEHOLDERS, unknownColumns, type PromptTemplate } from '../summarizers/prompt-template.js'
import type { ColumnInfo } from './item.js'
import { keptNames } from './keep.js'

/**
 * The columns the template names and `--keep-columns` lists must be the input's: checked
 * once the input is opened (a table's header is read), before anything is fetched. Returns
 * the kept columns, which a CSV or Parquet output writes first.
 */
export function checkColumns(name: string, columns: readonly ColumnInfo[], template: PromptTemplate | undefined, keep: 'all' | 'none' | readonly string[]): ColumnInfo[] {
  const names = columns.map((column) => column.name)
  const have = names.length === 0 ? `\`${name}\` is a URL list, without columns` : `the columns of \`${name}\` are ${names.map((n) => `\`${n}\``).join(', ')}`
  const unknown = template === undefined ? [] : unknownColumns(template, names)
  if (unknown.length > 0) {
    throw new UsageError(`--prompt uses ${unknown.map((n) => `{${n}}`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} neither a page placeholder (${PAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}) nor a column: ${have}`)
  }
  if (Array.isArray(keep)) {
    const missing = keep.filter((n) => !names.includes(n))
    if (missing.length > 0) throw new UsageError(`--keep-columns names ${missing.map((n) => `\`${n}\``).join(', ')}, not a column: ${have}`)
  }
  const kept = keptNames(keep, columns)
  return kept.map((n) => columns.find((column) => column.name === n) ?? { name: n, type: 'string' })
}

