import type { PageRecord } from '../record.js'

/** One JSON object a line. Each record is one whole line, written at once. */
export function jsonlLine(record: PageRecord): string {
  return `${JSON.stringify(record)}\n`
}
