import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { ERROR_CODES, UsageError, type ErrorData } from '../errors.js'
import { MAX_LINE_CHARS, splitLines } from './lines.js'
import { redactUrlsInText } from '../redact.js'

/** One meaningful line of the URL list. `line` is 1-based, counting every line of the file. */
export type InputItem = { line: number; url: string; error?: undefined } | { line: number; url: string; error: ErrorData }

/**
 * Reads a URL list as a stream, so a 100,000-line file is never held in memory: one URL a
 * line; blank lines and `#` comments skipped; surrounding whitespace trimmed. A line that is
 * not an absolute http(s) URL is not fatal: it comes out with an `INVALID_URL` error.
 */
export async function* readUrlList(stream: Readable): AsyncGenerator<InputItem> {
  let line = 0
  for await (const { text: raw, tooLong } of splitLines(stream)) {
    line += 1
    // A BOM at the start of the file would otherwise make the first URL invalid.
    const text = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim()
    if (text === '' || text.startsWith('#')) continue
    const error = tooLong ? tooLongError(text) : checkUrl(text)
    yield error === undefined ? { line, url: text } : { line, url: text, error }
  }
}

function tooLongError(text: string): ErrorData {
  return { code: ERROR_CODES.INVALID_URL, message: `line is longer than ${MAX_LINE_CHARS.toLocaleString('en-US')} characters, longer than any server takes a URL: ${quote(text)}`, attempts: 1 }
}

function checkUrl(text: string): ErrorData | undefined {
  if (!URL.canParse(text)) {
    return { code: ERROR_CODES.INVALID_URL, message: `line is not a URL: ${quote(text)}`, attempts: 1 }
  }
  const { protocol } = new URL(text)
  if (protocol !== 'http:' && protocol !== 'https:') {
    return { code: ERROR_CODES.INVALID_URL, message: `only http: and https: URLs can be summarized, got ${protocol} in ${quote(text)}`, attempts: 1 }
  }
  return undefined
}

/** The line as typed, for a message: shortened, and with any `user:password@` removed. */
function quote(text: string): string {
  const shown = redactUrlsInText(text)
  return JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown)
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
      throw new UsageError(`input \`${path}\` is a directory, expected a file with one URL a line`)
    }
    return handle.createReadStream({ autoClose: true })
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`cannot read input \`${path}\`: ${code === 'ENOENT' ? 'no such file' : code}`)
  }
}

/**
 * Counts the URLs in a regular file for the progress bar's total and ETA. A separate
 * streaming pass: cheap next to the run, and memory stays flat. stdin has no count.
 */
export async function countUrls(path: string): Promise<number | undefined> {
  if (path === '-') return undefined
  let count = 0
  for await (const _item of readUrlList(createReadStream(path))) count += 1
  return count
}
