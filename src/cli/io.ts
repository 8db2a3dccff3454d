import type { Readable, Writable } from 'node:stream'

/** The process as the CLI sees it: injected, so a test can call `main(argv, io)` in-process. */
export interface CliIO {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** Whether stderr is a terminal (draws the live progress bar). */
  stderrIsTTY: boolean
  /** Aborted on a second Ctrl-C by the bin entry: cancels pages in flight at once. */
  signal: AbortSignal
  /** Aborted on the first Ctrl-C or SIGTERM: no new pages; pages in flight finish (for a short while). */
  stopSignal?: AbortSignal
}
