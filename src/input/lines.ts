import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

/**
 * Longest line of a URL list that is kept, in characters. No server takes a longer URL
 * (Node refuses request heads past 16 KiB, nginx and Apache past 8 KiB), and holding one
 * whole would let a single line, a binary file or a minified bundle given as the list,
 * take gigabytes: past V8's longest string (about 512 MiB) `readline` threw from inside
 * its stream handler, which no caller can catch.
 */
export const MAX_LINE_CHARS = 16 * 1024

/** One line of the list, without its line break. */
export interface ListLine {
  /** The line, or its first MAX_LINE_CHARS characters. */
  text: string
  /** The line was longer: the rest was read and dropped. */
  tooLong: boolean
}

/**
 * The stream's lines, split as `readline` splits them (`\n`, `\r\n` or a lone `\r`, a last
 * line without a break included), holding at most `maxChars` of any one line in memory.
 */
export async function* splitLines(stream: Readable, maxChars = MAX_LINE_CHARS): AsyncGenerator<ListLine> {
  const decoder = new StringDecoder('utf8')
  let current = ''
  let tooLong = false
  // A `\r` that ended a chunk: a `\n` opening the next one is the same line break.
  let afterCR = false

  const take = (piece: string): void => {
    if (tooLong || piece === '') return
    current += piece
    if (current.length > maxChars) {
      current = current.slice(0, maxChars)
      tooLong = true
    }
  }
  const finishLine = (): ListLine => {
    const line = { text: current, tooLong }
    current = ''
    tooLong = false
    return line
  }

  function* lines(text: string): Generator<ListLine> {
    if (text === '') return
    let start = afterCR && text.startsWith('\n') ? 1 : 0
    afterCR = false
    const breaks = /\r\n|\r|\n/g
    breaks.lastIndex = start
    for (let found = breaks.exec(text); found !== null; found = breaks.exec(text)) {
      take(text.slice(start, found.index))
      yield finishLine()
      start = breaks.lastIndex
      if (found[0] === '\r' && start === text.length) afterCR = true
    }
    take(text.slice(start))
  }

  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    yield* lines(typeof chunk === 'string' ? chunk : decoder.write(chunk))
  }
  yield* lines(decoder.end())
  if (current !== '' || tooLong) yield finishLine()
}
