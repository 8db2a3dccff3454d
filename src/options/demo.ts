import { JOB_OPTIONS } from './job.js'
import type { Table } from './table.js'

/** `summarize-urls demo` runs the job on the bundled sample pages: the job's options, offline by default. */
export const DEMO_OPTIONS = {
  ...JOB_OPTIONS,
  provider: { ...JOB_OPTIONS.provider, default: 'extractive', defaultNote: 'the demo never bills AWS unless asked' },
} as const satisfies Table
