import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BenchResult } from '../bench/bench.js'
import { CHART_HINT } from '../bench/chart.js'
import { pythonVersion } from '../bench/peers/python.js'
import { writeReport } from '../bench/report.js'
import { ROW_KEYS } from '../bench/results.js'
import { ON_DEMAND_PRICES } from '../src/batch/cost.js'
import { CORPUS_DIR } from './helpers/corpus.js'

// The compiled bench (dist/, built once by test/global-setup.ts), as `npm run bench` runs it:
// its page server, emulator and runs are then plain `node` children, where the sources would
// start each of them through tsx.
const { runBench } = (await import(new URL('../dist/bench/bench.js', import.meta.url).href)) as typeof import('../bench/bench.js')
const { runTune } = (await import(new URL('../dist/bench/tune.js', import.meta.url).href)) as typeof import('../bench/tune.js')

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough()
  let text = ''
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  return { stream, text: () => text }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-run-'))
const python = await pythonVersion()
let result: BenchResult
const stdout = collect()

// One tiny bench, shared by the tests below: the io workload on 8 light pages, a 20 ms
// model (the emulator at time scale 0.02), 2 in flight, one run of every row. Each run is
// a real child process against a real emulator and page server.
beforeAll(async () => {
  result = await runBench(
    { workloads: ['io'], pages: 8, timeScale: 0.02, runs: 1, concurrency: [2], threads: [2], corpus: CORPUS_DIR, json: join(dir, 'rows.json'), report: join(dir, 'report') },
    { stdout: stdout.stream, stderr: new PassThrough() },
  )
}, 180_000)
afterAll(() => stdout.stream.end())

describe('a bench run against the emulator', () => {
  it('produces one well-formed row per strategy and peer, every page summarized', () => {
    const strategies = result.rows.map((r) => r.row.strategy)
    expect(strategies).toEqual(['sequential', 'async', 'pool', 'p-limit', ...(python === undefined ? [] : ['python-threads'])])
    for (const { row, failed } of result.rows) {
      expect(failed).toBe(0)
      expect(row.workload).toBe('io')
      expect(row.pages).toBeGreaterThanOrEqual(8)
      for (const key of ['wallMs', 'idealMs', 'efficiency', 'pagesPerSec', 'p50Ms', 'p95Ms', 'cpuMs', 'peakRssMb'] as const) {
        expect(Number.isFinite(row[key]), `${row.strategy} ${key}`).toBe(true)
        expect(row[key], `${row.strategy} ${key}`).toBeGreaterThan(0)
      }
      expect(row.p95Ms).toBeGreaterThanOrEqual(row.p50Ms)
      // A lower bound: no run beats it by more than the emulator's jitter and the CPU-time estimate's noise.
      expect(row.efficiency).toBeLessThan(1.5)
      expect(row.pagesPerSec).toBeCloseTo((row.pages * 1000) / row.wallMs, 0)
      if (row.strategy.startsWith('python-')) expect(row.eventLoopP99Ms).toBeNull()
      else expect(row.eventLoopP99Ms).toBeGreaterThanOrEqual(0)
    }
    // On Linux, what other programs took of the machine meanwhile is measured from /proc.
    if (process.platform === 'linux') for (const { otherCores } of result.rows) expect(otherCores).toBeTypeOf('number')
  })

  it('measures what the settings imply: sequential waits for every call, async overlaps two', () => {
    const wall = (strategy: string) => result.rows.find((r) => r.row.strategy === strategy)?.row.wallMs ?? Number.NaN
    const sequential = result.rows.find((r) => r.row.strategy === 'sequential')
    // 8 pages one at a time, 20 ± 2 ms each: at least 8 × 18 ms.
    expect(wall('sequential')).toBeGreaterThanOrEqual(8 * 18)
    expect(sequential?.row.idealMs).toBeGreaterThanOrEqual(8 * 20)
    expect(result.rows.find((r) => r.row.strategy === 'async')?.row.idealMs).toBeLessThan(sequential?.row.idealMs ?? 0)
  })

  it('writes --json with exactly the documented keys, and --report with a chart', () => {
    const rows = JSON.parse(readFileSync(join(dir, 'rows.json'), 'utf8')) as Array<Record<string, unknown>>
    expect(rows).toHaveLength(result.rows.length)
    for (const row of rows) expect(Object.keys(row)).toEqual([...ROW_KEYS])
    const report = readFileSync(join(dir, 'report', 'report.md'), 'utf8')
    expect(report).toContain('| workload | strategy |')
    expect(report).toContain('](throughput-io.svg)')
    expect(report).toMatch(/Machine: .*cores/)
    const svg = readFileSync(join(dir, 'report', 'throughput-io.svg'), 'utf8')
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg).toContain('throughput (pages/s)')
  })

  it('without Vega installed, --report is written without charts and says in one line how to get them', async () => {
    const logged: string[] = []
    // The name of a package that is not installed stands for Vega left out of a production install.
    const path = await writeReport(join(dir, 'no-vega'), result, (line) => logged.push(line), 'vega-not-installed-here')
    const report = readFileSync(path, 'utf8')
    expect(report).toContain('| workload | strategy |')
    expect(report).not.toContain('.svg)')
    expect(existsSync(join(dir, 'no-vega', 'throughput-io.svg'))).toBe(false)
    expect(logged).toEqual([CHART_HINT])
    expect(CHART_HINT).toContain('npm i vega@')
  })

  it('prints the table and says which corpus and machine it ran on', () => {
    const text = stdout.text()
    expect(text).toMatch(/^summarize-urls bench: .*cores/)
    expect(text).toMatch(/\ncorpus: \d+ pages from /)
    expect(text).toContain('io: 8 light synthetic pages')
    expect(text).toMatch(/\nworkload +strategy +threads +concurrency/)
    expect(text).toContain('steady pages/s')
    expect(text).toContain('start-up: process / threads / 1st page')
    expect(text).toContain('\nadvice (from this run):\n')
    // The project's own targets stay out of a user's output unless asked for (--targets).
    expect(text).not.toContain('\ntargets (')
  })

  it('reports each model row\'s tokens a page and its price per 1,000 pages from the batch cost table', () => {
    for (const { row } of result.rows) {
      expect(row.inputTokensPerPage, row.strategy).toBeGreaterThan(0)
      expect(row.outputTokensPerPage, row.strategy).toBeGreaterThan(0)
      const { input, output } = ON_DEMAND_PRICES['anthropic.claude-3-haiku-20240307-v1:0'] as { input: number; output: number }
      expect(row.usdPer1000Pages).toBeCloseTo(((row.inputTokensPerPage as number) * input + (row.outputTokensPerPage as number) * output) / 1000, 2)
      expect(row.firstPageMs).toBeGreaterThan(0)
    }
  })
})

describe('a tune run against the emulator', () => {
  it('sweeps the grid and recommends a setting with its reasons', async () => {
    const out = collect()
    const tuned = await runTune({ threads: [1], concurrency: [1, 4], rounds: 2, latencyMs: 20, corpus: CORPUS_DIR }, { stdout: out.stream, stderr: new PassThrough() })
    expect(tuned.points.map((p) => [p.threads, p.concurrency, p.pages, p.failed])).toEqual([
      [1, 1, 2, 0],
      [1, 4, 8, 0],
    ])
    // The emulator counts what it served: one request a page, none throttled.
    expect(tuned.points.map((p) => [p.requests, p.throttled])).toEqual([
      [2, 0],
      [8, 0],
    ])
    expect(tuned.analysis?.best.concurrency).toBe(4)
    const text = out.text()
    expect(text).toContain('for your workload: --strategy pool --threads 1 --concurrency 4')
    // The best two settings ran twice more, so the recommendation has a spread behind it.
    expect(tuned.points.map((p) => p.runs?.length)).toEqual([3, 3])
    expect(text).toMatch(/\nlimit: /)
    expect(text).toContain("Little's law")
  }, 120_000)
})
