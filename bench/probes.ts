import { jobSpeedup, type JobProbe } from './job-probe.js'
import type { StartupProbe } from './startup.js'
import { median } from './stats.js'
import { formatMs } from './table.js'

/** What the fixed-cost probes measured, when they ran. */
export interface Probes {
  startup?: StartupProbe
  extract?: { pages: number; cpuMsMedian: number; cpuMsP95: number }
  job?: JobProbe
}

/** A median with its min–max, for a figure measured several times. */
export function withSpread(values: readonly number[]): string {
  if (values.length <= 1) return `${formatMs(values[0] ?? Number.NaN)} (1 run)`
  return `${formatMs(median(values))} (${formatMs(Math.min(...values))}–${formatMs(Math.max(...values))})`
}

/** The probes as lines of text: each figure, and its ratio to its floor. */
export function probeLines(probes: Probes): string[] {
  const lines: string[] = []
  const { startup, extract, job } = probes
  if (startup !== undefined) {
    const ratio = (ms: number): string => `${(ms / startup.nodeMs).toFixed(1)}× node -e 0`
    lines.push(`startup: node -e 0 ${formatMs(startup.nodeMs)}; --version ${formatMs(startup.versionMs)} (${ratio(startup.versionMs)}); --help ${formatMs(startup.helpMs)} (${ratio(startup.helpMs)})${startup.fromSource ? ' (from source: tsx included)' : ''}`)
    lines.push(`startup: a pool thread ready for its first page (offline summarizer) in ${formatMs(startup.workerReadyMs)}`)
  }
  if (job !== undefined) {
    lines.push(`job: a ${job.lines}-line offline job (\`summarize-urls list.txt --provider extractive\`, whole process): defaults ${withSpread(job.defaultMs)}, \`--strategy async\` ${withSpread(job.asyncMs)}: the defaults ${jobSpeedup(job).toFixed(2)}× faster`)
  }
  if (extract !== undefined) lines.push(`extract: CPU per corpus page (decode + extract + extractive summary), median ${formatMs(extract.cpuMsMedian)}, p95 ${formatMs(extract.cpuMsP95)} over ${extract.pages} pages`)
  return lines
}
