import { startEmulator } from './server.js'
import type { EmulatorOptions } from './options.js'

/** The parsed `summarize-urls emulator` flags (yargs camelCase keys) as emulator options; unset flags stay unset. */
export function emulatorOptionsFromArgs(args: Record<string, unknown>): EmulatorOptions {
  return {
    port: args['port'] as number | undefined,
    host: args['host'] as string | undefined,
    latencyMs: args['latencyMs'] as number | undefined,
    jitterMs: args['jitterMs'] as number | undefined,
    throttleRate: args['throttleRate'] as number | undefined,
    errorRate: args['errorRate'] as number | undefined,
    overshootRate: args['overshootRate'] as number | undefined,
    resetRate: args['resetRate'] as number | undefined,
    stallRate: args['stallRate'] as number | undefined,
    rpm: args['rpm'] as number | undefined,
    tpm: args['tpm'] as number | undefined,
    burstSeconds: args['burstSeconds'] as number | undefined,
    maxConcurrency: args['maxConcurrency'] as number | undefined,
    deniedModels: args['denyModel'] as string[] | undefined,
  }
}

export interface EmulatorIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
}

/**
 * `summarize-urls emulator`: serves until `signal` aborts (Ctrl-C), then closes and prints
 * the request counts on stderr. The first stdout line is `listening on <url>`, always: scripts
 * and tests read the port from it.
 */
export async function runEmulatorCommand(options: EmulatorOptions, io: EmulatorIo, signal: AbortSignal): Promise<number> {
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

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await emulator.close()
  const s = emulator.stats()
  io.stderr.write(
    `emulator: ${s.requests} requests: ${s.ok} ok, ${s.throttled} throttled, ${s.errors} server errors, ` +
      `${s.reset} reset, ${s.stalled} stalled, ${s.validation} invalid, ${s.denied} denied; ` +
      `${s.tokens} tokens; at most ${s.maxInFlight} in flight\n`,
  )
  return 0
}
