/**
 * PDF throughput: pages a second that `async` (PDF.js on the main thread) and `pool` (PDF.js
 * on the worker threads, where the pool always sends PDFs) read and summarise offline, with
 * the main thread's event-loop delay while they do. The workload is generated (pdf-lib, see
 * test/helpers/pdf.ts): `--docs` PDFs of `--pages` pages of about 2,000 characters, every
 * page read (the input budget is larger than the text).
 *
 *   npx tsx bench/pdf.ts [--docs 8] [--pages 50] [--runs 3] [--concurrency 4] [--threads N] [--json]
 *
 * Each strategy runs once to warm up (PDF.js loaded, threads started), then `--runs` times;
 * the figure is the median run, with the slowest and fastest beside it.
 */
import { availableParallelism } from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import type { AnalyzeTask } from '../src/analyze.js'
import type { Executor } from '../src/executors/executor.js'
import { InlineExecutor } from '../src/executors/inline.js'
import { PoolExecutor } from '../src/executors/pool.js'
import { column, makePdf } from '../test/helpers/pdf.js'

const SENTENCES = [
  'The survey counted the birds of the northern marshes every spring for forty years.',
  'Reed warblers came back earlier each decade as the winters grew milder.',
  'Bitterns, once rare in the marshes, now nest in every large reed bed.',
  'Volunteers walked the same routes at dawn and wrote down every call they heard.',
]

export interface PdfRow {
  workload: 'pdf'
  strategy: 'async' | 'pool'
  concurrency: number
  threads: number | null
  pagesPerRun: number
  pagesPerSecond: { median: number; min: number; max: number }
  /** The main thread's event-loop delay, p99 of the median run, in ms. */
  eventLoopP99Ms: number
}

export async function measurePdf(options: { docs: number; pages: number; runs: number; concurrency: number; threads: number }): Promise<PdfRow[]> {
  const bodies = await Promise.all(
    Array.from({ length: options.docs }, (_, d) =>
      makePdf({ title: `Marsh report ${d + 1}`, pages: Array.from({ length: options.pages }, (_, p) => column([`Report ${d + 1}, page ${p + 1}.`, ...SENTENCES, ...SENTENCES, ...SENTENCES, ...SENTENCES, ...SENTENCES])) }),
    ),
  )
  const tasks: AnalyzeTask[] = bodies.map((body, d) => ({ url: `http://bench.test/${d}.pdf`, body, contentType: 'application/pdf', headerCharset: undefined, maxChars: 300, maxInputChars: 10_000_000 }))
  const rows: PdfRow[] = []
  for (const strategy of ['async', 'pool'] as const) {
    const executor: Executor = strategy === 'async' ? new InlineExecutor('async', options.concurrency, { provider: 'extractive' }) : new PoolExecutor(options.threads, options.concurrency, { provider: 'extractive' })
    try {
      await runAll(executor, tasks, options.concurrency) // warm-up
      const runs: { rate: number; p99: number }[] = []
      for (let r = 0; r < options.runs; r++) {
        const delay = monitorEventLoopDelay({ resolution: 10 })
        delay.enable()
        const started = performance.now()
        const pages = await runAll(executor, tasks, options.concurrency)
        const seconds = (performance.now() - started) / 1000
        delay.disable()
        runs.push({ rate: pages / seconds, p99: delay.percentile(99) / 1e6 })
      }
      runs.sort((a, b) => a.rate - b.rate)
      const median = runs[Math.floor(runs.length / 2)] as { rate: number; p99: number }
      rows.push({
        workload: 'pdf',
        strategy,
        concurrency: options.concurrency,
        threads: strategy === 'pool' ? options.threads : null,
        pagesPerRun: options.docs * options.pages,
        pagesPerSecond: { median: round(median.rate), min: round((runs[0] as { rate: number }).rate), max: round((runs.at(-1) as { rate: number }).rate) },
        eventLoopP99Ms: round(median.p99),
      })
    } finally {
      await executor.close()
    }
  }
  return rows
}

/** Every task through the executor, `concurrency` at a time; the pages read. */
async function runAll(executor: Executor, tasks: readonly AnalyzeTask[], concurrency: number): Promise<number> {
  let next = 0
  let pages = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < tasks.length; i = next++) {
        const outcome = await executor.analyze({ ...(tasks[i] as AnalyzeTask), body: new Uint8Array((tasks[i] as AnalyzeTask).body) })
        if (outcome.status !== 'ok') throw new Error(`${(tasks[i] as AnalyzeTask).url}: ${outcome.error.code} ${outcome.error.message}`)
        pages += outcome.pages?.read ?? 0
      }
    }),
  )
  return pages
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      docs: { type: 'string', default: '8' },
      pages: { type: 'string', default: '50' },
      runs: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '4' },
      threads: { type: 'string', default: String(availableParallelism()) },
      json: { type: 'boolean', default: false },
    },
  })
  const rows = await measurePdf({ docs: Number(values.docs), pages: Number(values.pages), runs: Number(values.runs), concurrency: Number(values.concurrency), threads: Number(values.threads) })
  if (values.json) console.log(JSON.stringify(rows, null, 2))
  else {
    console.log('| workload | strategy | concurrency | threads | pages a run | pages/s (median, min–max) | main event loop p99 |')
    console.log('| --- | --- | ---: | ---: | ---: | --- | ---: |')
    for (const r of rows) console.log(`| pdf | ${r.strategy} | ${r.concurrency} | ${r.threads ?? '–'} | ${r.pagesPerRun} | ${r.pagesPerSecond.median} (${r.pagesPerSecond.min}–${r.pagesPerSecond.max}) | ${r.eventLoopP99Ms} ms |`)
  }
}
