import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { UsageError } from '../errors.js'
import type { InputItem, InputReader } from './item.js'
import { openReader, type ReaderChoice } from './open.js'

/** The input of a job: a path, `-` for `stdin`, or a stream the caller already has. */
export type JobInput = string | Readable

/**
 * Opens the input in its format (`openReader`). `count()` starts counting its items beside
 * the run (a file only); `discard()` closes a file opened here once the job is over, however
 * it ended: refused, failed, stopped before the input was read (stdin and the caller's
 * stream are left alone), and stops the count. A handle left to the garbage collector is a
 * warning today and an error in a later Node.
 */
export async function openJobInput(
  input: JobInput,
  stdin: Readable | undefined,
  choice: ReaderChoice,
): Promise<{ reader: InputReader; count: (done?: (item: InputItem) => boolean) => () => number | undefined; discard: () => void }> {
  const reader = await openReader(input, stdin ?? process.stdin, choice)
  if (typeof input !== 'string') return { reader, count: () => () => undefined, discard: () => {} }
  let counting: LineCount | undefined
  let discarded = false
  return {
    reader,
    count: (done) => {
      // A Parquet footer says how many rows there are.
      if (done === undefined && reader.rows !== undefined) return () => reader.rows
      if (input !== '-' && !discarded) {
        // A list's or a text table's lines bound its items (a CSV row may span lines); a
        // resumed job is counted by reading its items.
        const items = async function* (): AsyncGenerator<InputItem> {
          const again = await openReader(input, process.stdin, { ...choice, onHint: undefined })
          try {
            yield* again.items()
          } finally {
            again.close()
          }
        }
        counting ??= countLines(input, done, done === undefined ? undefined : items)
      }
      return () => counting?.lines
    },
    discard: () => {
      discarded = true
      counting?.stop()
      if (input !== '-') reader.close()
    },
  }
}

/** A line count under way: `lines` is undefined until `done` resolves with it. */
export interface LineCount {
  readonly lines: number | undefined
  /** The count, or undefined for a file that is not regular or could not be read. */
  readonly done: Promise<number | undefined>
  stop(): void
}

/**
 * Files past this size are not counted: reading one twice costs more than the count is worth,
 * and a list that large is a long run whatever its lines (the pool then decides by load alone).
 */
export const MAX_COUNTED_BYTES = 64 * 1024 * 1024

const LF = 0x0a
const CR = 0x0d
const CRLF = Buffer.from('\r\n')

/**
 * Counts the lines of a regular file beside the run, which reads it line by line: a bound
 * on the pages ahead, so the pool can tell a short run from a long one. Nothing but a
 * regular file is counted (a FIFO or a device can be read only once). With `done` (a
 * resumed job), lines whose URL is done are not counted: the run passes over them, and a
 * resumed list whose lines were mostly done counted as a long run and started threads.
 */
export function countLines(path: string, done?: (item: InputItem) => boolean, items?: () => AsyncIterable<InputItem>): LineCount {
  let stream: ReturnType<typeof createReadStream> | undefined
  let stopped = false
  const count: { lines: number | undefined; done: Promise<number | undefined>; stop: () => void } = {
    lines: undefined,
    done: Promise.resolve(undefined),
    stop: () => {
      stopped = true
      stream?.destroy()
    },
  }
  count.done = stat(path).then(
    (info) =>
      new Promise<number | undefined>((resolve) => {
        if (stopped || !info.isFile() || (info.size > MAX_COUNTED_BYTES && items === undefined)) return resolve(undefined)
        if (items !== undefined) {
          countUndone(items(), done ?? (() => false), () => stopped).then((lines) => resolve((count.lines = lines)), () => resolve(undefined))
          return
        }
        stream = createReadStream(path)
        // Line breaks as the run's reader splits them (splitLines): `\n`, `\r\n` and a lone `\r`.
        // A list with `\r` alone counted as one line once, and its run never started threads.
        let breaks = 0
        let last = LF
        stream.on('data', (chunk: string | Buffer) => {
          if (typeof chunk === 'string' || chunk.length === 0) return
          for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) breaks += 1
          for (let at = chunk.indexOf(CR); at !== -1; at = chunk.indexOf(CR, at + 1)) breaks += 1
          for (let at = chunk.indexOf(CRLF); at !== -1; at = chunk.indexOf(CRLF, at + 2)) breaks -= 1
          // A `\r\n` split between two reads is one break, not two.
          if (last === CR && chunk[0] === LF) breaks -= 1
          last = chunk[chunk.length - 1] as number
        })
        // A last line without a line break is a line too.
        stream.on('end', () => resolve((count.lines = breaks + (last === LF || last === CR ? 0 : 1))))
        stream.on('error', () => resolve(undefined))
        stream.on('close', () => resolve(count.lines))
      }),
    () => undefined,
  )
  return count
}

/**
 * Lines (rows) up to the last item, less those that are `done`: read as the run reads them,
 * which costs a parse and a URL check an item, so only a resumed job or a Parquet file pays it.
 */
async function countUndone(items: AsyncIterable<InputItem>, done: (item: InputItem) => boolean, stopped: () => boolean): Promise<number> {
  let last = 0
  let passed = 0
  for await (const item of items) {
    if (stopped()) throw new Error('stopped')
    last = item.line
    if (done(item)) passed += 1
  }
  return last - passed
}

/** Opening `out` truncates it: if it is the URL list itself, the list would be gone before it is read. */
export async function refuseOverwritingInput(input: JobInput, out: string): Promise<void> {
  if (typeof input !== 'string' || input === '-') return
  const [a, b] = await Promise.all([stat(input).catch(() => undefined), stat(out).catch(() => undefined)])
  if (a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino) {
    throw new UsageError(`--out \`${out}\` is the input file: writing it would erase the URL list; choose another path`)
  }
}
