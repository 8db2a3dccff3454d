import type { Readable } from 'node:stream'
import { ERROR_CODES, type ErrorData } from '../errors.js'
import type { InputItem, InputReader } from './item.js'
import { MAX_LINE_CHARS, splitLines } from './lines.js'
import { tableHint } from './table-hint.js'
import { quote, urlProblem } from './url-check.js'

export type { InputItem } from './item.js'

/**
 * Reads a URL list as a stream, so a 100,000-line file is never held in memory: one URL a
 * line; blank lines and `#` comments skipped; surrounding whitespace trimmed. A line that is
 * not an absolute http(s) URL is not fatal: it comes out with an `INVALID_URL` error.
 * `onFirstLine` sees the first meaningful line (the table hint reads it).
 */
export async function* readUrlList(stream: Readable, onFirstLine?: (text: string) => void): AsyncGenerator<InputItem> {
  let line = 0
  let first = true
  for await (const { text: raw, tooLong } of splitLines(stream)) {
    line += 1
    // A BOM at the start of the file would otherwise make the first URL invalid.
    const text = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim()
    if (text === '' || text.startsWith('#')) continue
    if (first) {
      first = false
      onFirstLine?.(text)
    }
    const error = tooLong ? tooLongError(text) : urlProblem(text, 'line')
    yield error === undefined ? { line, url: text } : { line, url: text, error }
  }
}

function tooLongError(text: string): ErrorData {
  return { code: ERROR_CODES.INVALID_URL, message: `line is longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters, longer than any server takes a URL: ${quote(text)}`, attempts: 1 }
}

/**
 * A URL list as an `InputReader`: no columns. `onHint` is told, once, when the first line
 * reads like a table's header or row (the file was most likely meant as a table).
 */
export function listReader(stream: Readable, onHint?: (hint: string) => void): InputReader {
  return {
    columns: [],
    items: () =>
      readUrlList(stream, (text) => {
        const hint = tableHint(text)
        if (hint !== undefined) onHint?.(hint)
      }),
    close: () => stream.destroy(),
  }
}
