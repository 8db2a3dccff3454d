import type { RowResult } from './results.js'

/** 850 ms, 4.31 s, 17.2 s: the unit a reader expects at each size. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-'
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 10) return `${Math.round(ms)} ms`
  return `${ms.toFixed(1)} ms`
}

function formatNumber(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-'
}

/** Steady-state pages/s, with the runs' min–max when there were several. */
function steadyCell(r: RowResult): string {
  if (r.row.steadyPagesPerSec === null) return '-'
  const runs = r.steadyRuns
  return runs.length > 1 ? `${formatNumber(r.row.steadyPagesPerSec)} (${formatNumber(Math.min(...runs))}–${formatNumber(Math.max(...runs))})` : formatNumber(r.row.steadyPagesPerSec)
}

interface Column {
  title: string
  right: boolean
  cell(r: RowResult): string
}

const COLUMNS: Column[] = [
  { title: 'workload', right: false, cell: (r) => r.row.workload },
  { title: 'strategy', right: false, cell: (r) => r.row.strategy },
  { title: 'threads', right: true, cell: (r) => String(r.row.threads) },
  { title: 'concurrency', right: true, cell: (r) => String(r.row.concurrency) },
  { title: 'pages', right: true, cell: (r) => String(r.row.pages) },
  { title: 'wall (median)', right: true, cell: (r) => formatMs(r.row.wallMs) },
  { title: 'spread', right: false, cell: (r) => (r.runs > 1 ? `${formatMs(r.wallMinMs)}–${formatMs(r.wallMaxMs)}` : `1 run`) },
  { title: 'ideal', right: true, cell: (r) => formatMs(r.row.idealMs) },
  { title: 'efficiency', right: true, cell: (r) => formatNumber(r.row.efficiency, 2) },
  { title: 'pages/s', right: true, cell: (r) => formatNumber(r.row.pagesPerSec) },
  { title: 'steady pages/s', right: true, cell: (r) => steadyCell(r) },
  { title: 'start-up: process / threads / 1st page', right: true, cell: (r) => `${formatMs(r.row.processStartMs)} / ${formatMs(r.row.threadsReadyMs)} / ${formatMs(r.row.firstPageMs)}` },
  { title: 'speed-up', right: true, cell: (r) => (Number.isFinite(r.speedup) ? `${r.speedup.toFixed(1)}×` : '-') },
  { title: 'p50 page', right: true, cell: (r) => formatMs(r.row.p50Ms) },
  { title: 'p95 page', right: true, cell: (r) => formatMs(r.row.p95Ms) },
  { title: 'CPU', right: true, cell: (r) => formatMs(r.row.cpuMs) },
  { title: 'page server', right: true, cell: (r) => (r.pageServerCores === null ? '-' : `${r.pageServerCores.toFixed(2)} cores`) },
  { title: 'tokens in / out a page', right: true, cell: (r) => (r.row.inputTokensPerPage === null ? '-' : `${Math.round(r.row.inputTokensPerPage)} / ${Math.round(r.row.outputTokensPerPage ?? 0)}`) },
  { title: '$ / 1,000 pages', right: true, cell: (r) => (r.row.usdPer1000Pages === null ? '-' : `$${r.row.usdPer1000Pages.toFixed(3)}`) },
  { title: 'peak RSS', right: true, cell: (r) => `${Math.round(r.row.peakRssMb)} MB` },
  { title: 'loop p99', right: true, cell: (r) => formatMs(r.row.eventLoopP99Ms) },
  { title: 'other load', right: true, cell: (r) => (r.otherCores === null ? '-' : `${r.otherCores.toFixed(1)} cores`) },
  { title: 'failed', right: true, cell: (r) => (r.failed === 0 ? '0' : `${r.failed} (${Object.entries(r.errors).map(([code, n]) => `${code} ${n}`).join(', ')})`) },
]

/** A plain-text table for a terminal: columns padded, numbers right-aligned. */
export function textTable(rows: readonly RowResult[]): string {
  const cells = rows.map((r) => COLUMNS.map((c) => c.cell(r)))
  const widths = COLUMNS.map((c, i) => Math.max(c.title.length, ...cells.map((row) => (row[i] as string).length)))
  const line = (values: string[]): string =>
    values
      .map((v, i) => (COLUMNS[i]?.right === true ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()
  return [line(COLUMNS.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}

/** The same table in Markdown, for the report and the README. */
export function markdownTable(rows: readonly RowResult[]): string {
  const header = `| ${COLUMNS.map((c) => c.title).join(' | ')} |`
  const rule = `| ${COLUMNS.map((c) => (c.right ? '---:' : '---')).join(' | ')} |`
  return [header, rule, ...rows.map((r) => `| ${COLUMNS.map((c) => c.cell(r)).join(' | ')} |`)].join('\n')
}
