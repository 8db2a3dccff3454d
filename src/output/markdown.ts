import type { PageRecord } from '../record.js'
import { safeLine } from './control-chars.js'

export function markdownHeader(): string {
  return '| line | page | summary |\n| ---: | --- | --- |\n'
}

/** One table row a page; failed pages show their error code and message in place of a summary. */
export function markdownRow(record: PageRecord): string {
  const label = escapeCell(record.title ?? record.url)
  const page = record.finalUrl === null && record.status === 'error' ? label : `[${label}](${escapeUrl(record.finalUrl ?? record.url)})`
  const text = record.status === 'ok' ? escapeCell(record.summary) : `**${record.error.code}**: ${escapeCell(record.error.message)}${record.error.hint === undefined ? '' : ` (${escapeCell(record.error.hint)})`}`
  return `| ${record.line} | ${page} | ${text} |\n`
}

function escapeCell(text: string): string {
  // Pipes end a cell, newlines end the row, and inline HTML or link syntax could inject markup.
  return safeLine(text).replace(/\s+/g, ' ').replace(/([\\|[\]<>*_`])/g, '\\$1')
}

function escapeUrl(url: string): string {
  return url.replace(/[()\s|\u0000-\u001f\u007f-\u009f]/g, (c) => encodeURIComponent(c))
}
