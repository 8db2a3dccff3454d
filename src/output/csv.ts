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

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`
}

/** RFC 4180 row (CRLF line ends, quotes doubled), safe to open in a spreadsheet. */
export function csvRow(record: PageRecord): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null> = {
    line: record.line,
    url: record.url,
    finalUrl: record.finalUrl,
    status: record.status,
    title: record.title,
    lang: record.lang,
    charset: record.charset?.name ?? null,
    charsetSource: record.charset?.source ?? null,
    pdfPages: record.pages?.total ?? null,
    pdfPagesRead: record.pages?.read ?? null,
    summary: record.summary,
    truncated: record.truncated,
    provider: record.provider,
    model: record.model,
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
  return `${CSV_COLUMNS.map((column) => csvCell(cells[column])).join(',')}\r\n`
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
