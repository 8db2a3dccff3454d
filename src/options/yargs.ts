import type { Options } from 'yargs'
import { describeDefault, type CliOnlyOf, type OptionsOf, type Row, type Table } from './table.js'
import { checkValue, fromCliUnit } from './validate.js'

// The definitions carry no yargs `default` and no `choices`: an unset option stays unset, so
// the command's resolver applies the one set of defaults and words every message the same
// way ("--strategy must be one of …, got `x`"). `defaultDescription` only shows them in --help.

/** Markdown to terminal text: the backticks go. */
export function terminalText(text: string): string {
  return text.replaceAll('`', '')
}

function definition(row: Row): Options {
  const shownDefault = row.kind === 'boolean' ? undefined : describeDefault(row)
  const choices = row.kind === 'enum' ? ` [choices: ${row.values.join(' | ')}]` : ''
  return {
    type: row.kind === 'boolean' ? 'boolean' : row.kind === 'integer' || row.kind === 'number' ? 'number' : 'string',
    ...(row.kind === 'boolean' ? {} : { requiresArg: true }),
    ...(row.alias === undefined ? {} : { alias: row.alias }),
    ...(row.group === undefined ? {} : { group: row.group }),
    ...(shownDefault === undefined ? {} : { defaultDescription: terminalText(shownDefault) }),
    describe: terminalText(row.help) + choices,
  }
}

/** The table as yargs option definitions, keyed by flag, in the table's order (which is --help's). */
export function yargsOptions(table: Table): Record<string, Options> {
  return Object.fromEntries(Object.values(table).map((row) => [row.flag, definition(row)]))
}

/**
 * Parsed flags as library options and CLI-only flags; unset flags stay unset. Checks here
 * only what the library never sees: values in the flag's own unit (seconds, converted to
 * ms) and the CLI-only flags. Everything else is the resolver's to check.
 */
export function fromArgs<T extends Table>(table: T, args: Record<string, unknown>): { options: OptionsOf<T>; cli: CliOnlyOf<T> } {
  const options: Record<string, unknown> = {}
  const cli: Record<string, unknown> = {}
  for (const [key, row] of Object.entries(table)) {
    // yargs stores a dashed flag under its own name as well as its camelCase twin.
    const value = args[row.flag]
    if (value === undefined) continue
    if (row.cliOnly === true) cli[key] = checkValue(row, value)
    else if ((row.kind === 'integer' || row.kind === 'number') && row.cliUnit !== undefined) options[key] = fromCliUnit(row, row.cliUnit, value)
    else options[key] = value
  }
  return { options: options as OptionsOf<T>, cli: cli as CliOnlyOf<T> }
}
