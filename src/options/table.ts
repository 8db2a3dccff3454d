// An option is declared once, as a row of its command's table; the option types, the
// defaults, the yargs definitions, the validation messages, the CLI-to-library mapping and
// the README table are all derived from the rows (validate.ts, yargs.ts, markdown.ts).
// Every derivation takes the table as a parameter, so a test can add a row and watch it
// reach --help, validation, the defaults and the resolved options.

/** A default worked out when options are resolved, with the words --help and the README show for it. */
export interface Computed<V> {
  readonly compute: () => V
  readonly text: string
}

export function computed<V>(compute: () => V, text: string): Computed<V> {
  return { compute, text }
}

/**
 * A flag typed in another unit than the option it sets: `--fetch-timeout 30` sets
 * `fetchTimeoutMs: 30000`. The flag's range is the option's divided by `factor`, and a bad
 * value is refused in the unit the user typed.
 */
export interface CliUnit {
  readonly name: string
  /** Library units per CLI unit. */
  readonly factor: number
}

/**
 * An AWS endpoint override (`--endpoint-url`, `--s3-endpoint-url`): a URL, e.g. the local
 * emulator's, whose default is the SDK's own, which honours the environment `variable`.
 */
export function awsEndpoint<F extends string, G extends string>(flag: F, variable: string, group: G, help: string) {
  return { flag, kind: 'string', arg: 'URL', defaultText: `the SDK's (\`${variable}\`)`, group, help } as const
}

export const SECONDS_AS_MS: CliUnit = { name: 'seconds', factor: 1000 }
export const MIB_AS_BYTES: CliUnit = { name: 'MiB', factor: 1024 * 1024 }

interface Common {
  /** Without the dashes: `max-chars`. */
  readonly flag: string
  readonly alias?: string
  /** The value's placeholder in the README: `--model ID`. Default `N` for numbers, `VALUE` for text. */
  readonly arg?: string
  /** One line for --help and the README; Markdown backticks are dropped in --help. */
  readonly help: string
  /** More for the README only, after the help line. */
  readonly details?: string
  /** The --help section, e.g. `Fetching:`. */
  readonly group?: string
  /** What --help and the README say instead of the default value, or what being unset means (`no limit`). */
  readonly defaultText?: string
  /** Said after the default value, in parentheses: `5242880` (5 MiB). */
  readonly defaultNote?: string
  /** A flag of the command only (where to write, how loud), not an option of the library. */
  readonly cliOnly?: boolean
  /** What a bad value is told it must be, when the kind's own words would not say it: `a command`. */
  readonly expected?: string
}

export interface TextRow extends Common {
  /** `string` is trimmed and must not be blank; `path` is kept as typed. */
  readonly kind: 'string' | 'path'
  readonly default?: string | Computed<string>
}

export interface NumberRow extends Common {
  readonly kind: 'integer' | 'number'
  readonly min: number
  /** Left out for no upper bound: "an integer of 1 or more". */
  readonly max?: number
  /** `min` itself is refused: "a number of seconds greater than 0". */
  readonly exclusiveMin?: boolean
  /** Named in the message: "a number of milliseconds from 0 to 1". */
  readonly unit?: string
  readonly cliUnit?: CliUnit
  readonly default?: number | Computed<number>
}

export interface BooleanRow extends Common {
  readonly kind: 'boolean'
  readonly default?: boolean
}

export interface EnumRow extends Common {
  readonly kind: 'enum'
  readonly values: readonly string[]
  readonly default?: string
}

/** What each value of a list must be, checked and worded as a row of that kind. */
export type ListItem =
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'string' }

/**
 * Several values: `--concurrency 8,16 32` (integers and enum values also split on commas) or
 * a repeated flag. Values are checked one by one, and a repeated value is kept once.
 */
export interface ListRow extends Common {
  readonly kind: 'list'
  readonly item: ListItem
  /** Ascending, for numbers: a sweep runs in this order whatever order it was typed in. */
  readonly sorted?: boolean
  /** An empty list means "none" rather than "nothing to do". */
  readonly allowEmpty?: boolean
  readonly default?: readonly (string | number)[] | Computed<(string | number)[]>
}

export type Row = TextRow | NumberRow | BooleanRow | EnumRow | ListRow

/** Rows keyed by the library's option name. Declare one `as const satisfies Table` so its types can be derived. */
export type Table = { readonly [key: string]: Row }

type ScalarOf<R> = R extends { readonly kind: 'enum'; readonly values: readonly (infer V)[] }
  ? V
  : R extends { readonly kind: 'integer' | 'number' }
    ? number
    : R extends { readonly kind: 'boolean' }
      ? boolean
      : string

type ValueOf<R> = R extends { readonly kind: 'list'; readonly item: infer I } ? ScalarOf<I>[] : ScalarOf<R>

// Homomorphic mapped types (`K in keyof T as …`), so a row added to a table is a typed field
// of each of these with no other edit.

/** What the library accepts: every row but the CLI-only ones, all optional. */
export type OptionsOf<T extends Table> = {
  -readonly [K in keyof T as T[K] extends { readonly cliOnly: true } ? never : K]?: ValueOf<T[K]>
}

/** The CLI-only flags, as given. */
export type CliOnlyOf<T extends Table> = {
  -readonly [K in keyof T as T[K] extends { readonly cliOnly: true } ? K : never]?: ValueOf<T[K]>
}

/** What the library accepts once resolved: a row with a default is always set. */
export type ResolvedOf<T extends Table> = {
  -readonly [K in keyof T as T[K] extends { readonly cliOnly: true } ? never : K]: T[K] extends { readonly default: unknown } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined
}

/** The rows' fixed default values (computed ones are worked out at resolve time). */
export type DefaultsOf<T extends Table> = {
  readonly [K in keyof T as T[K] extends { readonly default: infer D } ? (D extends Computed<unknown> ? never : K) : never]: T[K] extends { readonly default: infer D } ? D : never
}

export function isComputed(value: unknown): value is Computed<unknown> {
  return typeof value === 'object' && value !== null && 'compute' in value
}

export function defaultsOf<T extends Table>(table: T): DefaultsOf<T> {
  const defaults: Record<string, unknown> = {}
  for (const [key, row] of Object.entries(table)) {
    if (row.default !== undefined && !isComputed(row.default)) defaults[key] = row.default
  }
  return defaults as DefaultsOf<T>
}

/** A value as typed on the command line: options kept in ms are typed in seconds. */
export function inCliUnit(row: Row, value: number): number {
  return row.kind === 'integer' || row.kind === 'number' ? value / (row.cliUnit?.factor ?? 1) : value
}

/** The default as --help and the README state it, in Markdown; undefined when there is nothing to say. */
export function describeDefault(row: Row): string | undefined {
  if (row.defaultText !== undefined) return row.defaultText
  const value = row.default
  if (value === undefined) return undefined
  if (typeof value === 'boolean') return value ? 'on' : 'off'
  const shown = isComputed(value) ? value.text : `\`${typeof value === 'number' ? inCliUnit(row, value) : Array.isArray(value) ? value.join(',') : value}\``
  return row.defaultNote === undefined ? shown : `${shown} (${row.defaultNote})`
}
