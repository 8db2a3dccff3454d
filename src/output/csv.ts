import { cellText } from '../input/item.js'
import type { PageRecord } from '../record.js'
import { stripControls } from './control-chars.js'

/** The record flattened: nested fields become their own columns. */
export const CSV_COLUMNS = [
  'line',
  'url',
  'finalUrl',
  'status',
  'title',
  'lang',
  'charset',
  'charsetSource',
  'pdfPages',
  'pdfPagesRead',
  'summary',
  'truncated',
  'provider',
  'model',
  'inputTokens',
  'outputTokens',
  'fetchMs',
  'extractMs',
  'summarizeMs',
  'totalMs',
  'errorCode',
  'errorMessage',
  'errorAttempts',
  'errorHint',
] as const

export type CsvColumn = (typeof CSV_COLUMNS)[number]

/**
 * Our columns' names beside a table's: one that an input column already has gets `out_` in
 * front (`url,title` in gives `…,out_url,…,out_title,…`), so every name is read once and the
 * input's keep theirs.
 */
export function ourColumnNames(inputNames: readonly string[]): string[] {
  const taken = new Set(inputNames)
  return CSV_COLUMNS.map((name) => {
    let named: string = name
    while (taken.has(named)) named = `out_${named}`
    taken.add(named)
    return named
  })
}

/** The header: the table's kept columns, in its order, then ours. */
export function csvHeader(inputNames: readonly string[] = []): string {
  return `${[...inputNames.map(rawCell), ...ourColumnNames(inputNames).map((name) => csvCell(name))].join(',')}\r\n`
}

/**
 * RFC 4180 row (CRLF line ends, quotes doubled), safe to open in a spreadsheet: the row's
 * kept input cells first, exactly as read (they are the user's own data: only quoted), then
 * ours, defused (they hold what pages and models wrote).
 */
export function csvRow(record: PageRecord, inputNames: readonly string[] = []): string {
  const input = inputNames.map((name) => rawCell(cellText(record.input?.[name])))
  const cells = flatCells(record)
  const ours = CSV_COLUMNS.map((column) => csvCell(cells[column]))
  return `${[...input, ...ours].join(',')}\r\n`
}

/** The columns that are a record's own top-level fields, as they are. */
const TOP_LEVEL_COLUMNS = ['line', 'url', 'finalUrl', 'status', 'title', 'lang', 'summary', 'truncated', 'provider', 'model'] as const

type TopLevelColumn = (typeof TOP_LEVEL_COLUMNS)[number]

/** A record's fields as flat cells, nested fields as their own: CSV's and Parquet's columns. */
export function flatCells(record: PageRecord): Record<CsvColumn, string | number | boolean | null> {
  const topLevel = Object.fromEntries(TOP_LEVEL_COLUMNS.map((column) => [column, record[column]])) as Pick<PageRecord, TopLevelColumn>
  return {
    ...topLevel,
    charset: record.charset?.name ?? null,
    charsetSource: record.charset?.source ?? null,
    pdfPages: record.pages?.total ?? null,
    pdfPagesRead: record.pages?.read ?? null,
    inputTokens: record.usage?.inputTokens ?? null,
    outputTokens: record.usage?.outputTokens ?? null,
    fetchMs: record.timingsMs.fetch,
    extractMs: record.timingsMs.extract,
    summarizeMs: record.timingsMs.summarize,
    totalMs: record.timingsMs.total,
    errorCode: record.error?.code ?? null,
    errorMessage: record.error?.message ?? null,
    errorAttempts: record.error?.attempts ?? null,
    errorHint: record.error?.hint ?? null,
  }
}

/** A cell of the user's table: quoted when it must be, otherwise written byte for byte. */
function rawCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * Quotes a cell when needed, and defuses text a spreadsheet would run as a formula
 * (OWASP "CSV injection"): a leading = + - @ tab or CR gets a ' in front. Numbers are
 * written as numbers, so a negative number is never mistaken for a formula. Terminal
 * control characters are replaced (see control-chars.ts).
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return ''
  if (typeof value !== 'string') return String(value)
  const text = stripControls(value)
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replaceAll('"', '""')}"` : safe
}
