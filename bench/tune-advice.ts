import { PAGE_SERVER_LIMIT } from './advice.js'
import { paybackPages, pointRate, rankPoints, throttledShare, type SweepAnalysis, type TunePoint } from './sweep.js'
import { formatMs } from './table.js'

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

/** Best within this share of the limit concurrency ÷ page time: the model's latency is what limits it. */
const AT_LATENCY_LIMIT = 0.8

function runsText(p: TunePoint): string {
  const runs = p.runs ?? []
  return runs.length > 1 ? `${fixed(Math.min(...runs))}–${fixed(Math.max(...runs))}` : '1 run'
}

/** The sweep as a table: each setting's overall and steady pages/s, its threads' start, and what it cost. */
export function tuneTable(points: readonly TunePoint[], a: SweepAnalysis | undefined): string {
  const header = ['threads', 'concurrency', 'pages', 'wall', 'pages/s', 'steady pages/s', 'runs', 'threads ready', 'model-bound pages/s', 'p50 page', 'p50 model call', 'CPU/page', 'page server', 'throttled', 'failed']
  const cells = points.map((p) => [
    String(p.threads),
    String(p.concurrency),
    String(p.pages),
    formatMs(p.wallMs),
    fixed(p.pagesPerSec),
    p.steadyPagesPerSec === undefined ? '-' : fixed(p.steadyPagesPerSec),
    runsText(p),
    formatMs(p.threadsReadyMs ?? null),
    a === undefined ? '-' : fixed((p.concurrency * 1000) / a.pageMs),
    formatMs(p.p50PageMs),
    formatMs(p.p50ModelMs),
    formatMs(p.cpuMs / p.pages),
    p.pageServerCores === undefined ? '-' : `${fixed(p.pageServerCores, 2)} cores`,
    p.throttled === null ? '?' : `${p.throttled} (${Math.round(throttledShare(p) * 100)}%)`,
    p.failed === 0 ? '0' : `${p.failed} (${Object.entries(p.errors).map(([code, n]) => `${code} ${n}`).join(', ')})`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] as string).length)))
  const line = (values: string[]): string => values.map((v, i) => (i === header.length - 1 ? v : v.padStart(widths[i] as number))).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}

/** What limits the best setting: the quota, the cores, the page server, or the model's latency. */
function limitLine(a: SweepAnalysis, cores: number): string {
  const b = a.best
  const allowed = (b.concurrency * 1000) / a.pageMs
  const share = throttledShare(b)
  if (a.plateau?.cause === 'throttling' || share > 0.05) {
    return `limit: your quota. ${Math.round(Math.max(share, a.plateau?.throttledShare ?? 0) * 100)}% of calls past --concurrency ${a.plateau?.at.concurrency ?? b.concurrency} were throttled, and the endpoint accepted about ${Math.round(a.plateau?.acceptedPerMinute ?? 0)} requests a minute: more concurrency only adds 429s and retries (ask for a higher quota, or set --rpm to stay under it).`
  }
  if ((b.pageServerCores ?? 0) >= PAGE_SERVER_LIMIT) {
    return `limit: the page server. It kept ${fixed(b.pageServerCores ?? 0, 2)} of the ${cores} cores busy beside the run: a real job's pages come from other machines, so expect more there.`
  }
  if (a.coresNeeded >= 0.8 * cores || a.plateau?.cause === 'cpu') {
    return `limit: CPU. A page costs ${formatMs(a.cpuMsPerPage)} of CPU, so ${fixed(pointRate(b))} pages/s keeps ${fixed(a.coresNeeded, 2)} of the ${cores} cores busy: more concurrency only queues pages for a core.`
  }
  if (pointRate(b) >= AT_LATENCY_LIMIT * allowed) {
    return `limit: the model's latency. A page holds its slot ${formatMs(a.pageMs)} (its call ${formatMs(a.latencyMs)}), so --concurrency ${b.concurrency} allows ${fixed(allowed)} pages/s and the run reached ${fixed(pointRate(b))}: throughput grows with concurrency until your quota or the cores stop it.`
  }
  return `limit: none stands out. --concurrency ${b.concurrency} allows ${fixed(allowed)} pages/s by latency alone, the run reached ${fixed(pointRate(b))} (a page took ${formatMs(b.p50PageMs)} at p50 under load), the CPU needed ${fixed(a.coresNeeded, 2)} cores, and no call was throttled: check the p50 columns.`
}

/** Whether the best setting beats its nearest rival by more than the spread of their runs. */
function rivalLine(best: TunePoint, points: readonly TunePoint[]): string | undefined {
  const rival = nearestRival(best, points)
  if (rival === undefined) return undefined
  const how = rankPoints(best, rival)
  const head = `against --threads ${rival.threads} --concurrency ${rival.concurrency} (${fixed(pointRate(rival))} pages/s, runs ${runsText(rival)})`
  if (how === 'faster') return `  ${head}: ahead in every run.`
  if (how === 'unknown') return `  ${head}: one run each, too few to rank them.`
  return `  ${head}: level, their runs overlap; the recommendation is the one with fewer threads and less concurrency among the settings within 3%.`
}

/** How long a run must be for threads to repay their start, at the best concurrency. */
function paybackLine(a: SweepAnalysis, points: readonly TunePoint[]): string | undefined {
  const at = points.filter((p) => p.concurrency === a.best.concurrency)
  const one = at.find((p) => p.threads === 1)
  const many = [...at].filter((p) => p.threads > 1).sort((x, y) => y.threads - x.threads)[0]
  if (one === undefined || many === undefined) return undefined
  const pages = paybackPages(one, many)
  if (pages === undefined) return `threads: too few rounds for a steady state; run with more --rounds to see whether ${many.threads} threads repay their start.`
  const started = many.threadsReadyMs === null || many.threadsReadyMs === undefined ? 'started no thread (the main thread was never busy enough)' : `had threads ready ${formatMs(many.threadsReadyMs)} into the run`
  if (!Number.isFinite(pages)) {
    return `threads: at --concurrency ${one.concurrency}, ${many.threads} threads ran no faster at steady state than 1 (${fixed(pointRate(many))} against ${fixed(pointRate(one))} pages/s; the run ${started}): on this workload they never repay their start, and the default pool starts none unless page work keeps the main thread busy.`
  }
  const seconds = pages / pointRate(many)
  return `threads: at --concurrency ${one.concurrency}, ${many.threads} threads reach ${fixed(pointRate(many))} pages/s at steady state against ${fixed(pointRate(one))} with 1 (the run ${started}); they repay their start after about ${Math.ceil(pages)} pages (${fixed(seconds)} s of running): shorter runs are faster without them.`
}

/** The recommendation and why: the best setting with its spread, the limit found, Little's law, and the threads' payback. */
export function tuneAdvice(a: SweepAnalysis, points: readonly TunePoint[], grid: readonly number[], cores: number): string[] {
  const lines: string[] = []
  const b = a.best
  const f = a.fastest
  const instead = f === b ? '' : ` (--threads ${f.threads} --concurrency ${f.concurrency} got ${fixed(pointRate(f))} with ${Math.round(throttledShare(f) * 100)}% of its calls throttled)`
  lines.push(`for your workload: --strategy pool --threads ${b.threads} --concurrency ${b.concurrency}: ${fixed(pointRate(b))} pages/s at steady state (runs ${runsText(b)})${instead}.`)
  const rival = rivalLine(b, points)
  if (rival !== undefined) lines.push(rival)
  if (b.concurrency === Math.max(...grid) && a.plateau === undefined) {
    lines.push(`  --concurrency ${b.concurrency} is the edge of the grid and throughput still grows there: try higher (--concurrency ${b.concurrency},${b.concurrency * 2},${b.concurrency * 4}).`)
  }
  lines.push(limitLine(a, cores))
  lines.push(
    `Little's law: throughput = pages in flight ÷ the time a page holds its slot; ${fixed(pointRate(b))} pages/s needs at least ${fixed(a.inFlightNeeded)} pages in flight (a page alone takes ${formatMs(a.pageMs)}).`,
  )
  const payback = paybackLine(a, points)
  if (payback !== undefined) lines.push(payback)
  return lines
}

/**
 * The setting the recommendation is set against: the fastest other one that was run again
 * (the sweep runs the recommendation and its nearest rival again), else the fastest other one.
 */
export function nearestRival(best: TunePoint, points: readonly TunePoint[]): TunePoint | undefined {
  const others = [...points].filter((p) => p !== best).sort((x, y) => pointRate(y) - pointRate(x))
  return others.find((p) => (p.runs?.length ?? 0) > 1) ?? others[0]
}
