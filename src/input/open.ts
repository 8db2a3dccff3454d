import { open } from 'node:fs/promises'
import { extname } from 'node:path'
import type { Readable } from 'node:stream'
import { UsageError } from '../errors.js'
import type { InputReader } from './item.js'
import { listReader } from './list.js'
import { missingColumnMessage } from './row-item.js'

import type { InputFormat } from './formats.js'

/** The URL column when `--url-column` is not given. */
export const DEFAULT_URL_COLUMN = 'url'

const BY_EXTENSION: Record<string, Exclude<InputFormat, 'auto'>> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
  '.pq': 'parquet',
}

/** `auto` reads the extension; anything else (`.txt`, none, stdin) is a URL list, as before tables. */
export function formatOf(input: string | undefined, choice: InputFormat): Exclude<InputFormat, 'auto'> {
  if (choice !== 'auto') return choice
  return (input === undefined || input === '-' ? undefined : BY_EXTENSION[extname(input).toLowerCase()]) ?? 'list'
}

export interface ReaderChoice {
  format: InputFormat
  /** Undefined: `url`, and a list may be read without one. */
  urlColumn: string | undefined
  /** Told once when a URL list looks like a table. */
  onHint?: ((hint: string) => void) | undefined
}

/**
 * Opens the input in its format and reads what a table declares up front (a header, the
 * first row's keys, a Parquet footer), so a missing URL column is refused, naming the
 * columns there are, before anything is fetched. `input` is a path, `-` (stdin), or a
 * stream (read as `choice.format`, a list for `auto`).
 */
export async function openReader(input: string | Readable, stdin: Readable, choice: ReaderChoice): Promise<InputReader> {
  const path = typeof input === 'string' ? input : undefined
  const format = formatOf(path, choice.format)
  const name = path === undefined || path === '-' ? 'stdin' : path
  if (format === 'list') {
    if (choice.urlColumn !== undefined) {
      throw new UsageError(`--url-column names a column of a table, and \`${name}\` is read as a URL list (one URL a line): name the file .csv, .tsv, .jsonl or .parquet, or add --input-format`)
    }
    return listReader(typeof input === 'string' ? await openInput(input, stdin) : input, choice.onHint)
  }
  const urlColumn = choice.urlColumn ?? DEFAULT_URL_COLUMN
  let reader: InputReader
  if (format === 'parquet') {
    if (path === undefined || path === '-') throw new UsageError('a Parquet table is read from its end, so it needs a file: it cannot come from stdin or a pipe')
    await openInput(path, stdin).then((stream) => stream.destroy())
    const { openParquet } = await import('./parquet.js')
    reader = await openParquet(path, { urlColumn })
  } else {
    const stream = typeof input === 'string' ? await openInput(input, stdin) : input
    try {
      // Each parser is loaded only when its format is read: a URL list loads none.
      reader = format === 'jsonl' ? await (await import('./jsonl.js')).openJsonl(stream, { urlColumn, name }) : await (await import('./csv.js')).openCsv(stream, { delimiter: format === 'tsv' ? '\t' : ',', urlColumn, name })
    } catch (error) {
      stream.destroy()
      throw error
    }
  }
  if (!reader.columns.some((column) => column.name === urlColumn)) {
    reader.close()
    throw new UsageError(missingColumnMessage(format === 'parquet' ? 'the Parquet table' : format === 'jsonl' ? 'the JSON Lines table' : `the ${format.toUpperCase()} table`, name, urlColumn, reader.columns, choice.urlColumn !== undefined))
  }
  return reader
}

/** Opens the input named on the command line; `-` is stdin. Fails with a usage error naming the file. */
export async function openInput(path: string, stdin: Readable): Promise<Readable> {
  if (path === '-') return stdin
  try {
    // Opening first turns ENOENT / EISDIR / EACCES into one clear message before the run starts.
    const handle = await open(path, 'r')
    const stat = await handle.stat()
    if (stat.isDirectory()) {
      await handle.close()
      throw new UsageError(`input \`${path}\` is a directory, expected a file with one URL a line or a table`)
    }
    return handle.createReadStream({ autoClose: true })
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`cannot read input \`${path}\`: ${code === 'ENOENT' ? 'no such file' : code}`)
  }
}

/** The items of a regular file, counted in a separate streaming pass (the progress bar's total, `--mode auto`); stdin has no count. */
export async function countItems(path: string, choice: ReaderChoice): Promise<number | undefined> {
  if (path === '-') return undefined
  const reader = await openReader(path, process.stdin, { ...choice, onHint: undefined })
  if (reader.rows !== undefined) {
    reader.close()
    return reader.rows
  }
  let count = 0
  try {
    for await (const _item of reader.items()) count += 1
  } finally {
    reader.close()
  }
  return count
}
