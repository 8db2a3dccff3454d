import type { Probes } from './probes.js'
import type { RowResult } from './results.js'
import type { Workload } from './workloads.js'

/** One of the figures the benchmark must show, checked against this run. `met` is null when the run lacks the rows. */
export interface TargetCheck {
  id:
    | 'io-efficiency'
    | 'cpu-speedup'
    | 'cpu-event-loop'
    | 'seed-shape'
    | 'node-vs-peers'
    | 'startup'
    | 'worker-ready'
    | 'default-not-slowest'
    | 'pool-over-async'
    | 'cpu-ceiling'
    | 'mixed-vs-python'
    | 'extract-ceiling'
    | 'job-defaults'
  statement: string
  met: boolean | null
  detail: string
}

/** What every check reads: this run's rows, workloads, probes and machine. */
export interface Context {
  rows: readonly RowResult[]
  workloads: readonly Workload[]
  cores: number
  probes: Probes
  quick: boolean
  of(name: string): RowResult[]
  sizeNote(name: string, pages: number): string
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

export function rate(r: RowResult): number {
  return (r.row.pages * 1000) / r.row.wallMs
}

/** Steady-state pages/s where the row has it, else pages over wall. */
export function steady(r: RowResult): number {
  return r.row.steadyPagesPerSec ?? rate(r)
}

export function label(r: RowResult): string {
  return `${r.row.strategy}${r.row.strategy === 'pool' || r.row.strategy.startsWith('ceiling') ? ` (${r.row.threads} threads)` : ''}`
}

