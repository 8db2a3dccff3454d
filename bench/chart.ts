import type { Spec } from 'vega'

/** One point of a throughput curve. */
export interface ChartPoint {
  /** The line it belongs to: a strategy (and thread count for pool). */
  series: string
  concurrency: number
  pagesPerSec: number
  /** Drawn dashed: a limit, not a measurement. */
  limit?: boolean
}

/**
 * A Vega spec: throughput against concurrency, one line (with its points marked, so a
 * setting run at one concurrency still shows) per strategy; concurrency on a log-2 axis.
 * Plain Vega rather than Vega-Lite: Vega-Lite's current release needs Node 22.
 */
export function throughputSpec(title: string, points: readonly ChartPoint[]): Spec {
  // Ticks at the concurrencies that ran: a log axis's own ticks (0.5, 1, 2, …) formatted as
  // integers would repeat labels.
  const ticks = [...new Set(points.map((p) => p.concurrency))].sort((a, b) => a - b)
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: 560,
    height: 300,
    padding: 8,
    title: {
      text: title,
      anchor: 'start',
      fontSize: 14,
      ...(points.some((p) => p.limit === true) ? { subtitle: 'dashed: the limit model latency alone sets (concurrency ÷ latency)' } : {}),
    },
    data: [
      { name: 'points', values: points.map((p) => ({ ...p, limit: p.limit === true })) },
      { name: 'measured', source: 'points', transform: [{ type: 'filter', expr: '!datum.limit' }] },
    ],
    scales: [
      { name: 'x', type: 'log', base: 2, domain: { data: 'points', field: 'concurrency' }, range: 'width', padding: 16 },
      { name: 'y', type: 'linear', domain: { data: 'points', field: 'pagesPerSec' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: { data: 'measured', field: 'series', sort: true }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'concurrency (pages in flight, log scale)', grid: true, values: ticks, format: 'd' },
      { orient: 'left', scale: 'y', title: 'throughput (pages/s)', grid: true },
    ],
    legends: [{ stroke: 'color', fill: 'color', title: 'strategy', symbolType: 'circle', labelLimit: 240 }],
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'series', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'series' },
            sort: { field: 'datum.concurrency' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'concurrency' },
                y: { scale: 'y', field: 'pagesPerSec' },
                stroke: { signal: "datum.limit ? '#999999' : scale('color', datum.series)" },
                strokeWidth: { value: 2 },
                strokeDash: { signal: 'datum.limit ? [5, 4] : [1, 0]' },
              },
            },
          },
          {
            type: 'symbol',
            from: { data: 'series' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'concurrency' },
                y: { scale: 'y', field: 'pagesPerSec' },
                fill: { scale: 'color', field: 'series' },
                size: { signal: 'datum.limit ? 0 : 50' },
                tooltip: { signal: "datum.series + ': ' + format(datum.pagesPerSec, '.1f') + ' pages/s at ' + datum.concurrency" },
              },
            },
          },
        ],
      },
    ],
  }
}

/** What to type to get the charts back, printed once when Vega is not installed. */
export const CHART_HINT = 'charts left out: `bench --report` draws them with Vega, an optional dependency; `npm i vega@6.4.0` installs it'

/**
 * Loads an optional package, or gives `undefined` when it is not installed (any other
 * failure, such as a broken install, still throws).
 */
export async function importOptional<T>(name: string): Promise<T | undefined> {
  try {
    return (await import(name)) as T
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(`'${name}'`)) return undefined
    throw error
  }
}

/**
 * Renders the chart to SVG headlessly (Vega's `renderer: 'none'` with `toSVG()`: no
 * browser, no canvas), or gives `undefined` when Vega is not installed. Vega is an
 * optional peer dependency (62 of the 167 packages a production install had, 11 MB, for
 * these charts alone), loaded only when a report is asked for. `module` names the package
 * to load: a test passes a name that is not installed.
 */
export async function renderSvg(spec: Spec, module = 'vega'): Promise<string | undefined> {
  const vega = await importOptional<typeof import('vega')>(module)
  if (vega === undefined) return undefined
  const view = new vega.View(vega.parse(spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
