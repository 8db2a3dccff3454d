import type { PageRecord } from '../record.js'
import { escapeJsonControls } from './control-chars.js'

/** One JSON object a line. Each record is one whole line, written at once. */
export function jsonlLine(record: PageRecord): string {
  return `${escapeJsonControls(JSON.stringify(record))}\n`
}
