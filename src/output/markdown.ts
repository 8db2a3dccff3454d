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
  // Pipes end a cell, newlines end the row, and inline HTML, link, emphasis or strikethrough
  // syntax could inject markup; `&` would turn a spelled-out `&amp;` into another text.
  return safeLine(text).replace(/\s+/g, ' ').replace(/([\\|[\]<>*_`~&])/g, '\\$1')
}

/**
 * A URL as a link destination that a CommonMark renderer reads back as the same URL: the
 * characters that end or bend a destination (`(`, `)`, `<`, `>`, spaces, `\\`, `|` which ends
 * a table cell, control characters) percent-encoded, and `&` backslash-escaped, so a
 * character reference spelled in the URL (`&amp;`) is not decoded into another URL.
 */
export function escapeUrl(url: string): string {
  return url.replace(/[()<>\\\s|\u0000-\u001f\u007f-\u009f]/g, percentEncoded).replaceAll('&', '\\&')
}

/** `encodeURIComponent` leaves `(` and `)` as they are (they are legal in a URL): the very two a link destination cannot hold. */
function percentEncoded(c: string): string {
  return c === '(' || c === ')' ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(c)
}
