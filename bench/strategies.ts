/**
 * The three strategies on one workload: the 90 corpus pages served on 127.0.0.1, summarized
 * through the local Bedrock emulator (real SDK, real HTTP) with model-like latency. The page
 * server and the emulator run in their own processes, so their CPU time is not charged to
 * the strategy being measured. Each
 * strategy runs the same pipeline; only scheduling differs. Figures are medians over
 * repeated runs, with the spread, and speed-ups are ratios measured in this one run.
 *
 *   npm run bench -- [--runs 3] [--latency-ms 300] [--concurrency 16] [--threads 2] [--json FILE]
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { availableParallelism } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Bench } from 'tinybench'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import { readUrlList } from '../src/input.js'
import { resolveOptions, type Strategy } from '../src/options.js'
import { runSummaries } from '../src/run.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'latency-ms': { type: 'string', default: '300' },
    'jitter-ms': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    threads: { type: 'string', default: String(availableParallelism()) },
    json: { type: 'string' },
  },
})
const runs = Number(values.runs)
const latencyMs = Number(values['latency-ms'])
const concurrency = Number(values.concurrency)
const threads = Number(values.threads)

const corpus = fileURLToPath(new URL('../../shared/corpus/readability-pages/', import.meta.url))
const names = readdirSync(corpus, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()

process.env['AWS_ACCESS_KEY_ID'] ??= 'bench'
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'bench'
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true'

/** Starts a server process and reads its URL from its first line of output. */
async function startProcess(command: string, args: string[], pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  for await (const line of createInterface({ input: child[stream]! })) {
    const match = pattern.exec(line)
    if (match?.[1] !== undefined) return { url: match[1], child }
  }
  throw new Error(`${command} exited before printing its address`)
}

const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
const emulator = await startProcess(process.execPath, ['--import', 'tsx', bin, 'emulator', '--latency-ms', String(latencyMs), '--jitter-ms', values['jitter-ms']], /^listening on (http:\/\/\S+)$/, 'stdout')
const pageServer = fileURLToPath(new URL('./page-server.ts', import.meta.url))
const pages = await startProcess(process.execPath, ['--import', 'tsx', pageServer, corpus], /^listening on (http:\/\/\S+)$/, 'stdout')
const lines = names.map((name) => `${pages.url}/${name}/source.html`).join('\n')
const summarizer: SummarizerConfig = {
  provider: 'bedrock',
  settings: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1', endpoint: emulator.url, maxSockets: concurrency, requestTimeoutMs: 60_000, retry: DEFAULT_RETRY_POLICY },
}

interface Row {
  strategy: Strategy
  threads: number | null
  concurrency: number
  pages: number
  wallMsMedian: number
  wallMsMin: number
  wallMsMax: number
  pagesPerSec: number
  speedup: number
  eventLoopP99Ms: number
}

const settings: Array<{ strategy: Strategy; concurrency: number }> = [
  { strategy: 'sequential', concurrency: 1 },
  { strategy: 'async', concurrency },
  { strategy: 'pool', concurrency },
]
// Sequential is ~N × latency per run: one run says all there is to say about it.
const sequentialBench = new Bench({ time: 0, iterations: 1, warmup: false, throws: true })
const bench = new Bench({ time: 0, iterations: runs, warmup: false, throws: true })
const loopDelay = new Map<Strategy, number[]>()
for (const { strategy, concurrency: c } of settings) {
  ;(strategy === 'sequential' ? sequentialBench : bench).add(strategy, async () => {
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    histogram.enable()
    const stats = await runSummaries(readUrlList(Readable.from([lines])), { write: () => {} }, resolveOptions({ strategy, concurrency: c, threads }), summarizer)
    histogram.disable()
    if (stats.ok !== names.length) throw new Error(`${strategy}: ${stats.failed} pages failed: ${JSON.stringify(stats.errors)}`)
    loopDelay.set(strategy, [...(loopDelay.get(strategy) ?? []), histogram.percentile(99) / 1e6])
  })
}
try {
  await sequentialBench.run()
  await bench.run()
} finally {
  for (const { child } of [pages, emulator]) {
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
}

const rows: Row[] = []
for (const task of [...sequentialBench.tasks, ...bench.tasks]) {
  const result = task.result
  if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`)
  const strategy = task.name as Strategy
  const setting = settings.find((s) => s.strategy === strategy)!
  const delays = (loopDelay.get(strategy) ?? [0]).sort((a, b) => a - b)
  rows.push({
    strategy,
    threads: strategy === 'pool' ? threads : null,
    concurrency: setting.concurrency,
    pages: names.length,
    wallMsMedian: Math.round(result.latency.p50),
    wallMsMin: Math.round(result.latency.min),
    wallMsMax: Math.round(result.latency.max),
    pagesPerSec: Number(((names.length * 1000) / result.latency.p50).toFixed(1)),
    speedup: 0,
    eventLoopP99Ms: Number((delays[Math.floor(delays.length / 2)] ?? 0).toFixed(1)),
  })
}
const sequential = rows.find((r) => r.strategy === 'sequential')!
for (const row of rows) row.speedup = Number((sequential.wallMsMedian / row.wallMsMedian).toFixed(2))

console.log(`workload: ${names.length} corpus pages over HTTP on 127.0.0.1, emulator latency ${latencyMs} ± ${values['jitter-ms']} ms, ${runs} runs (sequential: 1)`)
console.table(
  rows.map((r) => ({
    strategy: r.strategy,
    threads: r.threads ?? '-',
    concurrency: r.concurrency,
    'wall ms (median)': r.wallMsMedian,
    'spread ms': `${r.wallMsMin}–${r.wallMsMax}`,
    'pages/s': r.pagesPerSec,
    'speed-up': `${r.speedup}×`,
    'event loop p99 ms': r.eventLoopP99Ms,
  })),
)
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`)
