import { UsageError } from '../errors.js'
import { cacheDirOf } from './dir.js'
import { RunCache } from './run-cache.js'

/**
 * The cache of a job (online or batch), or a usage error naming the directory and the way
 * out. Called before the job's output is opened, so a refusal costs no earlier output.
 */
export async function openCache(options: { cacheDir?: string | undefined; cacheMaxBytes: number }): Promise<RunCache> {
  const dir = cacheDirOf(options)
  try {
    return await RunCache.open(dir, options.cacheMaxBytes)
  } catch (error) {
    throw new UsageError(`cannot use the cache directory \`${dir}\` (${(error as NodeJS.ErrnoException).code ?? String(error)}); give another with --cache-dir DIR, or run with --no-cache`)
  }
}
