/** `summarize-urls cache stats|verify|clear`: look into, check or empty the cache jobs use. */
import type { Argv } from 'yargs'
import { cacheDirOf } from '../cache/dir.js'
import { cacheSummary, clearCache, verifyCache } from '../cache/inspect.js'
import { CACHE_OPTIONS } from '../options/cache.js'
import { fromArgs, yargsOptions } from '../options/yargs.js'
import { resolveTable } from '../options/validate.js'
import { EXIT } from './exit-codes.js'
import type { CliIO } from './io.js'

export const CACHE_ACTIONS = ['stats', 'verify', 'clear'] as const
type Action = (typeof CACHE_ACTIONS)[number]

export function cacheArgs<T>(y: Argv<T>) {
  return y
    .positional('action', { choices: CACHE_ACTIONS, describe: 'stats: what it holds; verify: read every entry back, remove the damaged; clear: remove every entry', demandOption: true })
    .options(yargsOptions(CACHE_OPTIONS))
}

const MIB = 1024 * 1024

export async function runCacheCommand(args: Record<string, unknown>, io: CliIO): Promise<number> {
  const action = args['action'] as Action
  const options = resolveTable(CACHE_OPTIONS, fromArgs(CACHE_OPTIONS, args).options)
  const dir = cacheDirOf(options)
  const lines: string[] = []
  const out = (line: string): void => void lines.push(line)
  const code = await report(action, dir, options.cacheMaxBytes, out)
  return (await flushed(io.stdout, lines.map((line) => `${line}\n`).join(''))) ?? code
}

/**
 * Writes the report and waits for it: a reader that closed the pipe (`cache stats | head -1`)
 * is an `error` event on stdout, which crashed the process with a stack when nobody listened.
 */
async function flushed(stdout: CliIO['stdout'], text: string): Promise<number | undefined> {
  const failed = await new Promise<Error | null | undefined>((resolve) => {
    // Kept for good: a second error event on a broken pipe must not crash either.
    stdout.on('error', resolve)
    stdout.write(text, resolve)
  })
  if (failed === null || failed === undefined) return undefined
  if ((failed as NodeJS.ErrnoException).code === 'EPIPE') return EXIT.OUTPUT_CLOSED
  throw failed
}

async function report(action: Action, dir: string, cacheMaxBytes: number, out: (line: string) => void): Promise<number> {
  switch (action) {
    case 'stats': {
      const s = await cacheSummary(dir)
      out(`cache: ${s.dir}`)
      out(`entries: ${s.replies + s.pages} (${s.replies} model replies, ${s.pages} pages)`)
      out(`size: ${(s.bytes / MIB).toFixed(1)} MiB of ${(cacheMaxBytes / MIB).toFixed(0)} MiB (--cache-max-size)`)
      if (s.oldest !== null && s.newest !== null) out(`last used: ${s.oldest.toISOString()} to ${s.newest.toISOString()}`)
      return EXIT.OK
    }
    case 'verify': {
      const r = await verifyCache(dir)
      out(`cache: ${dir}`)
      out(`${r.checked} entries checked: ${r.ok} ok, ${r.damaged} damaged (removed; later runs treat them as misses), ${r.reclaimed} unreferenced content files removed`)
      return r.damaged === 0 ? EXIT.OK : EXIT.PAGES_FAILED
    }
    case 'clear': {
      const removed = await clearCache(dir)
      out(`cache: ${dir}: ${removed} entries removed`)
      return EXIT.OK
    }
  }
}
