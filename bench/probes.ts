import type { StartupProbe } from './startup.js'
import { formatMs } from './table.js'

/** What the fixed-cost probes measured, when they ran. */
export interface Probes {
  startup?: StartupProbe
  extract?: { pages: number; cpuMsMedian: number; cpuMsP95: number }
}

/** The probes as lines of text: each figure, and its ratio to its floor. */
export function probeLines(probes: Probes): string[] {
  const lines: string[] = []
  const { startup, extract } = probes
  if (startup !== undefined) {
    const ratio = (ms: number): string => `${(ms / startup.nodeMs).toFixed(1)}× node -e 0`
    lines.push(`startup: node -e 0 ${formatMs(startup.nodeMs)}; --version ${formatMs(startup.versionMs)} (${ratio(startup.versionMs)}); --help ${formatMs(startup.helpMs)} (${ratio(startup.helpMs)})${startup.fromSource ? ' (from source: tsx included)' : ''}`)
    lines.push(`startup: a pool thread ready for its first page (offline summarizer) in ${formatMs(startup.workerReadyMs)}`)
  }
  if (extract !== undefined) lines.push(`extract: CPU per corpus page (decode + extract + extractive summary), median ${formatMs(extract.cpuMsMedian)}, p95 ${formatMs(extract.cpuMsP95)} over ${extract.pages} pages`)
  return lines
}
