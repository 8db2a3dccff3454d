import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { UsageError } from '../errors.js'
import { openInput } from '../input.js'

/** The URL list of a job: a path, `-` for `stdin`, or a stream the caller already has. */
export type JobInput = string | Readable

/**
 * Opens the list. `discard()` closes a file opened here once the job is over, however it
 * ended: refused, failed, stopped before the list was read (stdin and the caller's stream
 * are left alone). A handle left to the garbage collector is a warning today and an error in
 * a later Node.
 */
export async function openJobInput(input: JobInput, stdin: Readable | undefined): Promise<{ stream: Readable; discard: () => void }> {
  if (typeof input !== 'string') return { stream: input, discard: () => {} }
  const stream = await openInput(input, stdin ?? process.stdin)
  return {
    stream,
    discard: () => {
      if (input !== '-') stream.destroy()
    },
  }
}

/** Opening `out` truncates it: if it is the URL list itself, the list would be gone before it is read. */
export async function refuseOverwritingInput(input: JobInput, out: string): Promise<void> {
  if (typeof input !== 'string' || input === '-') return
  const [a, b] = await Promise.all([stat(input).catch(() => undefined), stat(out).catch(() => undefined)])
  if (a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino) {
    throw new UsageError(`--out \`${out}\` is the input file: writing it would erase the URL list; choose another path`)
  }
}
