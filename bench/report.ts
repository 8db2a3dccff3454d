import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BenchResult } from './bench.js'
import { CHART_HINT, renderSvg, throughputSpec, type ChartPoint } from './chart.js'
import { machineLine } from './machine.js'
import { probeLines } from './probes.js'
import { jsonRow, type RowResult } from './results.js'
import { describeRuns } from './options.js'
import { markdownTable } from './table.js'

export function seriesName(r: RowResult): string {
  return r.row.strategy === 'pool' ? `pool (${r.row.threads} thread${r.row.threads === 1 ? '' : 's'})` : r.row.strategy
}

/**
 * The measured points, and for a workload with a model the limit latency alone sets:
 * `concurrency` calls every `latencyMs` (Little's law), dashed.
 */
export function chartPoints(rows: readonly RowResult[], latencyMs: number): ChartPoint[] {
  const points: ChartPoint[] = rows.map((r) => ({ series: seriesName(r), concurrency: r.row.concurrency, pagesPerSec: r.row.pagesPerSec }))
  if (latencyMs > 0) {
    for (const concurrency of [...new Set(rows.map((r) => r.row.concurrency))]) {
      points.push({ series: 'limit: concurrency ÷ latency', concurrency, pagesPerSec: (concurrency * 1000) / latencyMs, limit: true })
    }
  }
  return points
}

/**
 * Writes `report.md`, `rows.json` and one `throughput-WORKLOAD.svg` per workload into
 * `dir` (the charts only when Vega is installed: otherwise `log` gets one line saying how
 * to get them). Returns the report's path. `chartModule` is for a test (see renderSvg).
 */
export async function writeReport(dir: string, result: BenchResult, log: (line: string) => void = () => {}, chartModule?: string): Promise<string> {
  let hinted = false
  await mkdir(dir, { recursive: true })
  const lines: string[] = []
  lines.push('# summarize-urls bench')
  lines.push('')
  lines.push(`Machine: ${machineLine(result.machine)}.`)
  lines.push(`Corpus: ${result.corpus.label}.`)
  lines.push(
    `${result.options.quick ? 'Quick run; time' : 'Time'} scale ${result.options.timeScale}; ${describeRuns(result.options, true)}, ` +
      'each in a fresh process; the page server and the emulator run in processes of their own. ' +
      'Wall is the median over the runs, spread is min–max; per-page p50/p95 pool every page of every run; CPU is the median run; peak RSS the highest.',
  )
  lines.push('')
  for (const workload of result.workloads) {
    const rows = result.rows.filter((r) => r.row.workload === workload.name)
    if (rows.length === 0) continue
    lines.push(`## ${workload.name}`)
    lines.push('')
    lines.push(`${workload.description}.`)
    lines.push('')
    lines.push(markdownTable(rows))
    lines.push('')
    const file = `throughput-${workload.name}.svg`
    const svg = await renderSvg(throughputSpec(`${workload.name}: throughput against concurrency`, chartPoints(rows, workload.latencyMs)), chartModule)
    if (svg !== undefined) {
      await writeFile(join(dir, file), svg)
      lines.push(`![${workload.name}: throughput against concurrency, per strategy](${file})`)
      lines.push('')
    } else if (!hinted) {
      hinted = true
      log(CHART_HINT)
    }
  }
  const fixed = probeLines(result.probes)
  if (fixed.length > 0) {
    lines.push('## Probes')
    lines.push('')
    for (const line of fixed) lines.push(`- ${line}`)
    lines.push('')
  }
  if (result.advice.length > 0) {
    lines.push('## Advice from this run')
    lines.push('')
    lines.push('```')
    for (const line of result.advice) lines.push(line)
    lines.push('```')
    lines.push('')
  }
  if (result.targets.length > 0) {
    lines.push('## Targets')
    lines.push('')
    for (const t of result.targets) lines.push(`- **${t.met === null ? 'not measured' : t.met ? 'met' : 'missed'}**: ${t.statement}. ${t.detail}.`)
    lines.push('')
  }
  if (result.notes.length > 0 || result.interrupted) {
    lines.push('## Notes')
    lines.push('')
    for (const note of result.notes) lines.push(`- ${note}`)
    if (result.interrupted) lines.push('- Interrupted: only the rows that finished are shown.')
    lines.push('')
  }
  await writeFile(join(dir, 'rows.json'), `${JSON.stringify(result.rows.map((r) => jsonRow(r.row)), null, 2)}\n`)
  const path = join(dir, 'report.md')
  await writeFile(path, `${lines.join('\n')}`)
  return path
}
