import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

/**
 * `--cache-dir`'s default, as the XDG Base Directory spec has it: `$XDG_CACHE_HOME` when set
 * to an absolute path (a relative one is to be ignored), else `~/.cache`; then our folder.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME']
  return join(xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'summarize-urls')
}

/** The cache directory of a run: `--cache-dir`, else the default. */
export function cacheDirOf(options: { cacheDir?: string | undefined }): string {
  return options.cacheDir ?? defaultCacheDir()
}
