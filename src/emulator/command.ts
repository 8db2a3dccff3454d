import { EMULATOR_OPTIONS } from '../options/emulator.js'
import { fromArgs } from '../options/yargs.js'
import type { EmulatorOptions } from './options.js'

/** The parsed `summarize-urls emulator` flags as emulator options; unset flags stay unset. */
export function emulatorOptionsFromArgs(args: Record<string, unknown>): EmulatorOptions {
  return fromArgs(EMULATOR_OPTIONS, args).options
}

/** How often the emulator looks for the process that started it. */
const PARENT_POLL_MS = 250

export interface EmulatorIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/**
 * `summarize-urls emulator`: serves until `signal` aborts (Ctrl-C) or the process that
 * started it exits, then closes and prints the request counts on stderr. The first stdout
 * line is `listening on <url>`, always: scripts and tests read the port from it.
 */
export async function runEmulatorCommand(options: EmulatorOptions, io: EmulatorIo, signal: AbortSignal): Promise<number> {
  // Loaded here, not at the top: every other command imports this file through the CLI, and
  // should not pay for the emulator's modules (the event-stream codec among them).
  const { startEmulator } = await import('./server.js')
  let emulator
  try {
    emulator = await startEmulator(options)
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    // A busy or forbidden port is the user's environment, not a bug: one line, no stack.
    if (typeof code !== 'string') throw error
    const where = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`
    io.stderr.write(`emulator: cannot listen on ${where} (${code})\n`)
    return 2
  }
  io.stdout.write(`listening on ${emulator.url}\n`)

  // `npx summarize-urls emulator &` runs the emulator as a grandchild of the shell: `kill $!`
  // ends npx, which does not pass the signal on, and the emulator would serve on as an orphan.
  // An orphan is adopted by another process, so a changed ppid means its starter is gone.
  // Only under npm exec (npx): started directly, `kill $!` reaches the emulator itself, and a
  // script that starts it in the background and exits (a CI setup step) wants it to stay.
  const parent = process.ppid
  const watchParent = process.env['npm_command'] === 'exec'
  let poll: NodeJS.Timeout | undefined
  const parentGone = await new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false)
    signal.addEventListener('abort', () => resolve(false), { once: true })
    if (watchParent) poll = setInterval(() => process.ppid !== parent && resolve(true), PARENT_POLL_MS)
  })
  clearInterval(poll)
  if (parentGone) io.stderr.write(`emulator: the process that started it (pid ${parent}) exited: stopping\n`)
  await emulator.close()
  const s = emulator.stats()
  io.stderr.write(
    `emulator: ${s.requests} requests: ${s.ok} ok, ${s.throttled} throttled, ${s.errors} server errors, ` +
      `${s.reset} reset, ${s.stalled} stalled, ${s.validation} invalid, ${s.denied} denied; ` +
      `${s.tokens} tokens; at most ${s.maxInFlight} in flight\n`,
  )
  return 0
}
