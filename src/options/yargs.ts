import type { Options } from 'yargs'
import { describeDefault, type CliOnlyOf, type ListRow, type OptionsOf, type Row, type Table } from './table.js'
import { checkValue, fromCliUnit } from './validate.js'

// The definitions carry no yargs `default` and no `choices`: an unset option stays unset, so
// the command's resolver applies the one set of defaults and words every message the same
// way ("--strategy must be one of …, got `x`"). `defaultDescription` only shows them in --help.

/** Markdown to terminal text: the backticks go. */
export function terminalText(text: string): string {
  return text.replaceAll('`', '')
}

function yargsType(row: Row): Options['type'] {
  if (row.kind === 'boolean') return 'boolean'
  // A list's numbers are read as text, so `8,16` splits and `1e3` is quoted as typed.
  return row.kind === 'integer' || row.kind === 'number' ? 'number' : 'string'
}

function choices(row: Row): string {
  if (row.kind === 'enum') return ` [choices: ${row.values.join(' | ')}]`
  if (row.kind === 'list' && row.item.kind === 'enum') return ` [choices: ${row.item.values.join(' | ')}]`
  return ''
}

function definition(row: Row): Options {
  const shownDefault = row.kind === 'boolean' ? undefined : describeDefault(row)
  return {
    type: yargsType(row),
    ...(row.kind === 'boolean' ? {} : { requiresArg: true }),
    ...(row.kind === 'list' ? { array: true } : {}),
    ...(row.alias === undefined ? {} : { alias: row.alias }),
    ...(row.group === undefined ? {} : { group: row.group }),
    ...(shownDefault === undefined ? {} : { defaultDescription: terminalText(shownDefault) }),
    describe: terminalText(row.help) + choices(row),
  }
}

/** The table as yargs option definitions, keyed by flag, in the table's order (which is --help's). */
export function yargsOptions(table: Table): Record<string, Options> {
  return Object.fromEntries(Object.values(table).map((row) => [row.flag, definition(row)]))
}

/** `--concurrency 8,16 32` → [8, 16, 32]: integers and enum values take commas, spaces or a repeated flag. */
function listFromArgs(row: ListRow, value: unknown): unknown[] {
  const values = (Array.isArray(value) ? value : [value]).map(String)
  if (row.item.kind === 'string') return values
  const split = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
  if (row.item.kind === 'enum') return split
  return split.map((v) => {
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new TypeError(`--${row.flag} must be a list of whole numbers, got \`${v}\``)
    return Number(v)
  })
}

/**
 * Parsed flags as library options and CLI-only flags; unset flags stay unset. Checks here
 * only what the library never sees: values in the flag's own unit (seconds, converted to
 * ms), a list's text, and the CLI-only flags. Everything else is the resolver's to check.
 */
export function fromArgs<T extends Table>(table: T, args: Record<string, unknown>): { options: OptionsOf<T>; cli: CliOnlyOf<T> } {
  const options: Record<string, unknown> = {}
  const cli: Record<string, unknown> = {}
  for (const [key, row] of Object.entries(table)) {
    // yargs stores a dashed flag under its own name as well as its camelCase twin.
    const raw = args[row.flag]
    if (raw === undefined) continue
    const value = row.kind === 'list' ? listFromArgs(row, raw) : raw
    if (row.cliOnly === true) cli[key] = checkValue(row, value)
    else if ((row.kind === 'integer' || row.kind === 'number') && row.cliUnit !== undefined) options[key] = fromCliUnit(row, row.cliUnit, value)
    else options[key] = value
  }
  return { options: options as OptionsOf<T>, cli: cli as CliOnlyOf<T> }
}

/** How a row's flag may be typed: `--quiet` and its alias `-q`. */
function spellings(row: Row): string[] {
  return [`--${row.flag}`, ...(row.alias === undefined ? [] : [`-${row.alias}`])]
}

/**
 * yargs turns `--max-chars abc` into NaN and `--concurrency ''` into 0; the message should
 * quote what was typed, which only the command line still holds (`--flag value` or
 * `--flag=value`; the last one wins).
 */
export function rejectNonNumbers(table: Table, args: Record<string, unknown>, argv: readonly string[]): void {
  for (const row of Object.values(table)) {
    if ((row.kind !== 'integer' && row.kind !== 'number') || args[row.flag] === undefined) continue
    const names = spellings(row)
    const at = argv.findLastIndex((arg) => names.some((name) => arg === name || arg.startsWith(`${name}=`)))
    const given = argv[at] ?? ''
    const raw = given.includes('=') ? given.slice(given.indexOf('=') + 1) : at === -1 ? 'NaN' : (argv[at + 1] ?? 'NaN')
    if (Number.isNaN(args[row.flag]) || raw.trim() === '') throw new TypeError(`--${row.flag} must be a number, got \`${raw}\``)
  }
}

/**
 * yargs reads a switch given any value but `true` as false: `--deny-private=yes` would turn
 * the address check off without a word, so a value other than `true` or `false` is refused.
 */
export function rejectSwitchValues(table: Table, argv: readonly string[]): void {
  const end = argv.indexOf('--')
  const flags = end === -1 ? argv : argv.slice(0, end)
  for (const row of Object.values(table)) {
    if (row.kind !== 'boolean') continue
    for (const name of spellings(row)) {
      const given = flags.find((arg) => arg.startsWith(`${name}=`) && !['true', 'false'].includes(arg.slice(name.length + 1)))
      if (given !== undefined) throw new TypeError(`--${row.flag} is a switch: give it alone (or \`=true\`, \`=false\`), got \`${given.slice(name.length + 1)}\``)
    }
  }
}
