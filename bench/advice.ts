import type { BenchResult } from './bench.js'
import { jobSpeedup } from './job-probe.js'
import type { RowResult } from './results.js'
import { median } from './stats.js'
import { formatMs } from './table.js'
import type { Workload } from './workloads.js'

/**
 * Page-server CPU (cores) past which the advice names the page server as a limit: on two
 * cores, a quarter of a core serving pages is an eighth of the machine the run cannot have.
 */
export const PAGE_SERVER_LIMIT = 0.25

/** Model-bound rows within this share of concurrency ÷ latency are at the limit the model sets. */
const AT_LATENCY_LIMIT = 0.85

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

/** Each run's throughput: steady state where the run had one, else pages over wall. */
export function runRates(r: RowResult): number[] {
  if (r.steadyRuns.length > 0) return r.steadyRuns
  return r.runs > 1 ? [(r.row.pages * 1000) / r.wallMaxMs, (r.row.pages * 1000) / r.wallMinMs] : [r.row.pagesPerSec]
}

function rateText(r: RowResult): string {
  const rates = runRates(r)
  const mid = r.row.steadyPagesPerSec ?? r.row.pagesPerSec
  return rates.length > 1 ? `${fixed(mid)} pages/s (${fixed(Math.min(...rates))}–${fixed(Math.max(...rates))} over ${rates.length} runs)` : `${fixed(mid)} pages/s (1 run)`
}

/**
 * Whether `a` beats `b` by more than run-to-run noise: only when both ran at least twice and
 * every run of `a` was faster than every run of `b`. 'level' when the ranges overlap,
 * 'unknown' with a single run (one run says nothing about the spread).
 */
export function compareRows(a: RowResult, b: RowResult): 'faster' | 'slower' | 'level' | 'unknown' {
  const ra = runRates(a)
  const rb = runRates(b)
  if (a.runs < 2 || b.runs < 2) return 'unknown'
  if (Math.min(...ra) > Math.max(...rb)) return 'faster'
  if (Math.max(...ra) < Math.min(...rb)) return 'slower'
  return 'level'
}

function label(r: RowResult): string {
  return r.row.strategy === 'pool' || r.row.strategy.startsWith('ceiling') ? `${r.row.strategy} (${r.row.threads} thread${r.row.threads === 1 ? '' : 's'})` : r.row.strategy
}

function verdict(a: RowResult, b: RowResult): string {
  const ratio = (a.row.steadyPagesPerSec ?? a.row.pagesPerSec) / (b.row.steadyPagesPerSec ?? b.row.pagesPerSec)
  const how = compareRows(a, b)
  const head = `${label(a)} ${rateText(a)} against ${label(b)} ${rateText(b)}`
  if (how === 'unknown') return `${head}: one run each, too few to rank them (--runs 3)`
  if (how === 'level') return `${head}: level, their runs overlap`
  return `${head}: ${fixed(ratio, 2)}×, every run ${how === 'faster' ? 'ahead' : 'behind'}`
}

/** Advice for an offline (CPU-bound) workload: the pool against one thread, and what bounds both. */
function cpuAdvice(rows: readonly RowResult[], cores: number): string[] {
  const lines: string[] = []
  const pool = rows.filter((r) => r.row.strategy === 'pool').sort((a, b) => b.row.threads - a.row.threads)[0]
  const inline = rows.find((r) => r.row.strategy === 'async')
  const ceiling = rows.find((r) => r.row.strategy === 'ceiling')
  const alone = rows.filter((r) => r.row.strategy === 'ceiling-extract').sort((a, b) => b.row.threads - a.row.threads)
  if (pool !== undefined && inline !== undefined) lines.push(`steady state: ${verdict(pool, inline)}.`)
  const most = alone[0]
  const one = alone.find((r) => r.row.threads === 1)
  if (most !== undefined && one !== undefined && most !== one) {
    lines.push(`the cores: warm threads extracting alone (no fetching) reach ${fixed(most.row.steadyPagesPerSec ?? most.row.pagesPerSec)} pages/s on ${most.row.threads}, ${fixed((most.row.steadyPagesPerSec ?? most.row.pagesPerSec) / (one.row.steadyPagesPerSec ?? one.row.pagesPerSec), 2)}× one thread.`)
  }
  if (ceiling !== undefined && most !== undefined) {
    const server = ceiling.pageServerCores
    lines.push(
      `fetching: with the page server on the same ${cores} cores, the warm threads reach ${fixed(ceiling.row.steadyPagesPerSec ?? ceiling.row.pagesPerSec)} pages/s, ` +
        `${fixed((100 * (ceiling.row.steadyPagesPerSec ?? ceiling.row.pagesPerSec)) / (most.row.steadyPagesPerSec ?? most.row.pagesPerSec), 0)}% of extraction alone` +
        (server === null ? '.' : ` (the page server kept ${fixed(server, 2)} cores busy${server >= PAGE_SERVER_LIMIT ? ': a limit of this bench, not of a real job whose pages come from other machines' : ''}).`),
    )
  }
  if (pool !== undefined && pool.row.threadsReadyMs !== null) {
    lines.push(`start-up: the pool's threads could take pages ${formatMs(pool.row.threadsReadyMs)} into the run; its first page ended at ${formatMs(pool.row.firstPageMs)}.`)
  } else if (pool !== undefined) {
    lines.push(`start-up: the pool started no thread (its rules found the run too short to repay them, or the cores taken by other programs: see the other load column).`)
  }
  if (pool?.mainBusyShare != null) {
    lines.push(`main thread: busy ${fixed(100 * pool.mainBusyShare, 0)}% of the pool's run (fetching, handing pages over, writing records${pool.row.threadsReadyMs === null ? ', and the page work itself' : ''}).`)
  }
  return lines
}

/** Advice for a workload with a model: what the model's latency allows, and whether the rows reach it. */
function modelAdvice(workload: Workload, rows: readonly RowResult[]): string[] {
  const lines: string[] = []
  const byConcurrency = new Map<number, RowResult[]>()
  for (const r of rows) if (r.row.strategy !== 'sequential' && r.row.concurrency > 1) byConcurrency.set(r.row.concurrency, [...(byConcurrency.get(r.row.concurrency) ?? []), r])
  for (const [concurrency, group] of [...byConcurrency].sort((a, b) => a[0] - b[0])) {
    const limit = (concurrency * 1000) / workload.latencyMs
    const best = [...group].sort((a, b) => b.row.pagesPerSec - a.row.pagesPerSec)[0] as RowResult
    const share = best.row.pagesPerSec / limit
    const pool = group.find((r) => r.row.strategy === 'pool')
    const cheapest = [...group].filter((r) => r.row.usdPer1000Pages !== null).sort((a, b) => (a.row.usdPer1000Pages as number) - (b.row.usdPer1000Pages as number))[0]
    lines.push(
      `c=${concurrency}: the model allows ${fixed(limit)} pages/s (concurrency ÷ ${formatMs(workload.latencyMs)} a call); the best row, ${label(best)}, reached ${fixed(best.row.pagesPerSec)} (${fixed(share * 100, 0)}%)` +
        (share >= AT_LATENCY_LIMIT ? ': the model\'s latency is the limit, so more --concurrency (within your quota) is what raises throughput.' : ': below it, so extraction or the machine holds pages back: see the cpu rows.'),
    )
    if (pool !== undefined && pool !== best) lines.push(`  ${verdict(pool, best)}.`)
    if (pool?.row.usdPer1000Pages != null && cheapest !== undefined) {
      const dearest = [...group].filter((r) => r.row.usdPer1000Pages !== null).sort((a, b) => (b.row.usdPer1000Pages as number) - (a.row.usdPer1000Pages as number))[0] as RowResult
      if (dearest !== pool) lines.push(`  cost: pool sends ${Math.round(pool.row.inputTokensPerPage ?? 0)} input tokens a page ($${fixed(pool.row.usdPer1000Pages, 3)} per 1,000 pages); ${dearest.row.strategy} sends ${Math.round(dearest.row.inputTokensPerPage ?? 0)} ($${fixed(dearest.row.usdPer1000Pages as number, 3)}).`)
    }
  }
  return lines
}

/**
 * What to use for your workload and why, from this run: the limit each workload found (the
 * model's latency, the cores, the page server) and any ranking of settings backed by the
 * spread of repeated runs. The project's own targets are apart (`--targets`).
 */
export function benchAdvice(result: BenchResult, cores: number): string[] {
  const lines: string[] = []
  for (const workload of result.workloads) {
    const rows = result.rows.filter((r) => r.row.workload === workload.name)
    if (rows.length === 0) continue
    const found = workload.latencyMs > 0 ? modelAdvice(workload, rows) : cpuAdvice(rows, cores)
    if (found.length === 0) continue
    lines.push(`${workload.name}:`)
    for (const line of found) lines.push(`  ${line}`)
  }
  const job = result.probes.job
  if (job !== undefined) {
    const speedup = jobSpeedup(job)
    const level = Math.min(...job.defaultMs) <= Math.max(...job.asyncMs) && Math.min(...job.asyncMs) <= Math.max(...job.defaultMs)
    lines.push(`job: a ${job.lines}-line offline job took ${formatMs(median(job.defaultMs))} with the defaults and ${formatMs(median(job.asyncMs))} with --strategy async (${fixed(speedup, 2)}×${level ? ', runs overlapping' : ''}).`)
  }
  const hasModel = result.workloads.some((w) => w.latencyMs > 0)
  const hasCpu = result.workloads.some((w) => w.latencyMs === 0)
  const summary: string[] = []
  if (hasModel) summary.push('with a model, set --concurrency to pages/s wanted × seconds a call (Little\'s law), up to your quota (`summarize-urls tune` finds it)')
  if (hasCpu) summary.push(`for heavy pages or offline runs keep the default (pool, --threads ${cores}): it starts threads only when page work keeps the main thread busy and the run is long enough to repay them`)
  if (summary.length > 0) lines.push(`for your workload: ${summary.join('; ')}.`)
  return lines
}
