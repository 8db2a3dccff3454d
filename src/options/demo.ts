import { JOB_OPTIONS } from './job.js'
import type { Table } from './table.js'

// The bundled pages are far under a batch job's minimum: the demo runs online only.
const { mode: _mode, batchThreshold: _batchThreshold, ...ONLINE_OPTIONS } = JOB_OPTIONS

/** `summarize-urls demo` runs the job on the bundled sample pages: the job's options, offline by default. */
export const DEMO_OPTIONS = {
  ...ONLINE_OPTIONS,
  provider: { ...JOB_OPTIONS.provider, default: 'extractive', defaultNote: 'the demo never bills AWS unless asked' },
} as const satisfies Table
