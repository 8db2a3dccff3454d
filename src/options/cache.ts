import { JOB_OPTIONS } from './job.js'
import type { Table } from './table.js'

/** `summarize-urls cache stats|verify|clear`: the cache the jobs use, by the same flags. */
export const CACHE_OPTIONS = {
  cacheDir: JOB_OPTIONS.cacheDir,
  cacheMaxBytes: JOB_OPTIONS.cacheMaxBytes,
} as const satisfies Table
