import { createWriteStream, type WriteStream } from 'node:fs'
import { lstat } from 'node:fs/promises'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { UsageError, type OutputError } from '../errors.js'
import type { OutputFormat } from '../options.js'
import type { ColumnInfo } from '../input/item.js'
import { JournalSink } from '../output/journal.js'
import type { RecordSink } from '../output/sink.js'
import { RecordWriter } from '../output/writer.js'

/** Where a job's records go, opened. */
export interface OutputTarget {
  sink: RecordSink
  /** The first write error, if any. */
  readonly error: OutputError | undefined
  /** After a run that did not throw: an empty CSV or Markdown output still gets its header. */
  finish(): Promise<void>
  /** Closes the file (never stdout), whether the run succeeded or not. */
  release(): Promise<void>
}

/**
 * Whether records go to `out` as a journal: appended as they finish, so a crash keeps all
 * finished work, and put in input order when the run ends. Only a JSONL regular file can be
 * appended to, read back and renamed: `--out /dev/stdout` or a FIFO gets the ordered stream
 * writer instead.
 */
export async function writesJournal(out: string | undefined, format: OutputFormat): Promise<boolean> {
  return out !== undefined && format === 'jsonl' && (await isRegularFileOrMissing(out))
}

/**
 * Opens the journal (`fresh`: truncated first; else appended to, on resume), or a stream
 * writer on `out` or, without `out`, on `stdout`.
 */
export async function openOutputTarget(
  out: string | undefined,
  format: OutputFormat,
  mode: { journal: boolean; fresh: boolean; stdout: Writable; columns?: readonly ColumnInfo[] },
): Promise<OutputTarget> {
  const columns = mode.columns ?? []
  if (format === 'parquet') {
    // Binary, and whole only once its footer is written: a file, never a stream.
    if (out === undefined) throw new UsageError('--format parquet needs --out FILE.parquet: a Parquet file is not written to stdout')
    await openOutput(out).then(closeFile)
    const { ParquetRecordWriter } = await import('../output/parquet.js')
    const writer = new ParquetRecordWriter(out, columns)
    await writer.open()
    return {
      sink: writer,
      get error() {
        return writer.error
      },
      finish: () => writer.finish(),
      release: async () => {},
    }
  }
  if (mode.journal && out !== undefined) {
    const file = new JournalSink(out, { fresh: mode.fresh })
    return {
      sink: file,
      get error() {
        return file.error
      },
      finish: async () => {},
      release: async () => file.close(),
    }
  }
  const stream = out === undefined ? mode.stdout : await openOutput(out)
  const writer = new RecordWriter(stream, format, out === undefined ? 'stdout' : `\`${out}\``, columns.map((column) => column.name))
  return {
    sink: writer,
    get error() {
      return writer.error
    },
    finish: () => writer.finish(),
    // After a write error the file is already destroyed; closing it again only repeats that error.
    release: async () => {
      if (stream !== mode.stdout && writer.error === undefined) await closeFile(stream as WriteStream)
    },
  }
}

/** A regular file itself, not a symlink to one: `/dev/stdout` links to whatever fd 1 is, and a rename would replace the link. */
export async function isRegularFileOrMissing(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined)
  return info === undefined || info.isFile()
}

async function openOutput(path: string): Promise<WriteStream> {
  const file = createWriteStream(path, { flags: 'w' })
  try {
    await once(file, 'open')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`cannot write --out \`${path}\`: ${code === 'ENOENT' ? 'no such directory' : code}`)
  }
  return file
}

async function closeFile(file: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())))
}
