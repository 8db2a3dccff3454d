import { PassThrough, Readable } from 'node:stream'
import { main } from '../../src/cli/main.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Calls the CLI in-process with injected argv and streams, exactly as the bin entry does. */
export async function runCli(argv: string[], options: { stdin?: string; signal?: AbortSignal } = {}): Promise<CliResult> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  stdout.on('data', (chunk: Buffer) => out.push(chunk))
  stderr.on('data', (chunk: Buffer) => err.push(chunk))
  const code = await main(argv, {
    stdin: Readable.from([options.stdin ?? '']),
    stdout,
    stderr,
    stderrIsTTY: false,
    signal: options.signal ?? new AbortController().signal,
  })
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }
}

export function parseJsonl(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}
