import { jobSpeedup, type JobCpu, type JobProbe } from './job-probe.js'
import { type Cycle, quietCycles, scalingFigures } from './scaling-probe.js'
import type { StartupProbe } from './startup.js'
import { median } from './stats.js'
import { formatMs } from './table.js'

/** What the fixed-cost probes measured, when they ran. */
export interface Probes {
  startup?: StartupProbe
  extract?: { pages: number; cpuMsMedian: number; cpuMsP95: number; quality?: ExtractQuality }
  job?: JobProbe
  /** Paired phases of one warm ceiling thread against two (scaling-probe.ts). */
  scaling?: { cycles: Cycle[]; phaseMs: number; inFlight: number; young: number }
}

/** A median with its min–max, for a figure measured several times. */
export function withSpread(values: readonly number[]): string {
  if (values.length <= 1) return `${formatMs(values[0] ?? Number.NaN)} (1 run)`
  return `${formatMs(median(values))} (${formatMs(Math.min(...values))}–${formatMs(Math.max(...values))})`
}

/** Main-text quality on a data set's held-out split: word 4-shingle scores against hand-made ground truth. */
export interface ExtractQuality {
  split: string
  pages: number
  f1: number
  precision: number
  recall: number
  /** CPU of extractPage alone, mean over the pages of each page's median run. */
  cpuMsMean: number
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
    const cpu = (runs: readonly JobCpu[]): string => `CPU ${formatMs(median(runs.map((c) => c.cliMs)))} in the CLI + ${formatMs(median(runs.map((c) => c.serverMs)))} in the page server`
    const [defaults = [], inline = []] = [job.defaultCpu, job.asyncCpu]
    if (defaults.length > 0 && inline.length > 0) lines.push(`job: defaults ${cpu(defaults)}; async ${cpu(inline)} (medians; other programs ${median([...defaults, ...inline].map((c) => c.otherCores)).toFixed(2)} cores)`)
  }
  const scaling = probes.scaling
  if (scaling !== undefined && scaling.cycles.length > 0) {
    const all = scalingFigures(scaling.cycles, 2)
    const quiet = quietCycles(scaling.cycles)
    const quietText = quiet.length === 0 ? 'no quiet cycle' : `${quiet.length} quiet: ${scalingFigures(quiet, 2).ratio.toFixed(2)}×`
    lines.push(`scaling: extraction alone, 2 warm threads against 1 in paired ${scaling.phaseMs / 1000} s phases: ${all.ratio.toFixed(2)}× (${all.min.toFixed(2)}–${all.max.toFixed(2)}) over ${scaling.cycles.length} cycles (${quietText}); one thread kept ${all.oneCores.toFixed(2)} cores busy, CPU a page ${all.cpuRatio.toFixed(2)}× with two`)
  }
  if (extract !== undefined) lines.push(`extract: CPU per corpus page (decode + extract + extractive summary), median ${formatMs(extract.cpuMsMedian)}, p95 ${formatMs(extract.cpuMsP95)} over ${extract.pages} pages`)
  const quality = extract?.quality
  if (quality !== undefined) {
    lines.push(`extract quality: F1 ${quality.f1.toFixed(3)}, precision ${quality.precision.toFixed(3)}, recall ${quality.recall.toFixed(3)} (word 4-shingles, ${quality.split} split, ${quality.pages} pages); extractPage CPU ${formatMs(quality.cpuMsMean)} a page, mean`)
  }
  return lines
}
