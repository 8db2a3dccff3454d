import { describeDefault, type Row, type Table } from './table.js'

/** A README row that is not an option of the table (a positional, `--help`). */
export interface ExtraRow {
  option: string
  default: string
  meaning: string
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|')
}

function flagCell(row: Row): string {
  const name = `${row.alias === undefined ? '' : `-${row.alias}, `}--${row.flag}`
  switch (row.kind) {
    case 'boolean':
      return name
    case 'enum':
      return `${name} ${row.values.join('|')}`
    case 'integer':
    case 'number':
      return `${name} ${row.arg ?? 'N'}`
    case 'string':
    case 'path':
      return `${name} ${row.arg ?? 'VALUE'}`
    case 'list':
      return `${name} ${row.arg ?? (row.item.kind === 'enum' ? row.item.values.join(',') : row.item.kind === 'integer' ? 'N,N' : 'VALUE')}`
  }
}

/** The table as a Markdown table: option, default, meaning; `extra` rows go before and after. */
export function optionsTable(table: Table, extra: { before?: ExtraRow[]; after?: ExtraRow[]; header?: string } = {}): string {
  const rows: ExtraRow[] = [
    ...(extra.before ?? []),
    ...Object.values(table).map((row) => ({
      option: `\`${flagCell(row)}\``,
      default: describeDefault(row) ?? (row.kind === 'boolean' ? 'off' : ''),
      meaning: row.details === undefined ? row.help : `${row.help}; ${row.details}`,
    })),
    ...(extra.after ?? []),
  ]
  return [`| ${extra.header ?? 'option'} | default | meaning |`, '| --- | --- | --- |', ...rows.map((r) => `| ${cell(r.option)} | ${cell(r.default)} | ${cell(r.meaning)} |`)].join('\n')
}

/**
 * `text` with the lines between `<!-- BEGIN name -->` and `<!-- END name -->` replaced by
 * `body`. Both markers must be there: a README that lost them should fail loudly, not grow
 * a second table.
 */
export function replaceSection(text: string, name: string, body: string): string {
  const begin = `<!-- BEGIN ${name} -->`
  const end = `<!-- END ${name} -->`
  const from = text.indexOf(begin)
  const to = text.indexOf(end)
  if (from === -1 || to < from) throw new Error(`the markers ${begin} and ${end} are missing or out of order`)
  return `${text.slice(0, from + begin.length)}\n${body}\n${text.slice(to)}`
}
