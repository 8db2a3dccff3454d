/* What the parts of bench/resilience.ts share: the figures they report, the page server, runs in-process and as a CLI process. */

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { rateConclusion } from '../src/control/rate.js'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import type { RunningEmulator } from '../src/emulator/server.js'
import { readUrlList } from '../src/input/list.js'
import { listen, type Listening } from '../src/net/listen.js'
import { resolveOptions, type SummarizeOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runSummaries, type RunStats } from '../src/run.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'

export const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0'

export interface Figure {
  part: string
  name: string
  value: number
  target: string
  met: boolean
  /** What a controller that knew the server's rule from the start would reach. */
  ideal?: string
  detail?: string
}
export const figures: Figure[] = []
export function report(figure: Figure): void {
  figures.push(figure)
  const ideal = figure.ideal === undefined ? '' : `, ideal ${figure.ideal}`
  console.log(`${figure.met ? 'MET ' : 'MISS'}  ${figure.part.padEnd(7)} ${figure.name}: ${figure.value} (target ${figure.target}${ideal})${figure.detail === undefined ? '' : ` — ${figure.detail}`}`)
}

/** Light article pages, one per path, so fetching is never the bottleneck. */
export async function startPages(): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const id = req.url ?? '/'
    const text = Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i + 1} of page ${id} reports on harbours, grain prices and the ships that carried them in the season of ${i + 1800}.</p>`).join('')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html lang="en"><head><title>Page ${id}</title></head><body><article><h1>Page ${id}</h1>${text}</article></body></html>`)
  })
  server.keepAliveTimeout = 65_000
  return listen(server)
}

export function bedrock(emulator: RunningEmulator | { url: string }): SummarizerConfig {
  return { provider: 'bedrock', settings: { modelId: MODEL, region: 'us-east-1', endpoint: emulator.url, maxSockets: 64, requestTimeoutMs: 10_000, retry: DEFAULT_RETRY_POLICY } }
}

export async function run(lines: string[], options: SummarizeOptions, summarizer: SummarizerConfig, stopAfterMs?: number): Promise<PageRecord[]> {
  return (await runWithStats(lines, options, summarizer, stopAfterMs)).records
}

export async function runWithStats(lines: string[], options: SummarizeOptions, summarizer: SummarizerConfig, stopAfterMs?: number): Promise<{ records: PageRecord[]; stats: RunStats }> {
  const records: PageRecord[] = []
  const stop = new AbortController()
  const timer = stopAfterMs === undefined ? undefined : setTimeout(() => stop.abort(), stopAfterMs)
  const stats = await runSummaries(readUrlList(Readable.from([lines.join('\n')])), { write: (r) => void records.push(r) }, resolveOptions({ cache: false, ...options }), summarizer, { stopSignal: stop.signal, drainMs: 15_000 })
  clearTimeout(timer)
  if (stats.rate !== null) {
    const r = stats.rate
    console.log(`  rate control: ${rateConclusion(r) || 'no throttles'} (most in flight ${r.maxInFlight}, ${r.cuts} cuts)`)
  }
  return { records, stats }
}

/** A CLI run over `lines` as its own process; its records and wall time. */
export async function cliRun(lines: string[], endpoint: string, dir: string, tag: string): Promise<{ records: PageRecord[]; wallMs: number; summary: string }> {
  const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
  const input = join(dir, `${tag}.txt`)
  const out = join(dir, `${tag}.jsonl`)
  await writeFile(input, `${lines.join('\n')}\n`)
  const t0 = performance.now()
  // The cache in `dir`: a fresh one for the part (a cache left by the last bench run answered
  // every page without a model call), shared by the part's processes as a user's default is.
  const child = spawn(process.execPath, ['--import', 'tsx', bin, input, '--out', out, '--provider', 'bedrock', '--endpoint-url', endpoint, '--region', 'us-east-1', '--concurrency', '16', '--cache-dir', join(dir, 'cache')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  await once(child, 'exit')
  const wallMs = performance.now() - t0
  const records = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as PageRecord)
  return { records, wallMs, summary: stderr.split('\n').find((l) => /^summarize-urls: \d+ pages? in/.test(l)) ?? '' }
}

/** Peak RSS of a child process, from /proc (Linux), polled until it exits. */
export async function peakRssMb(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: 'ignore' })
  const exited = once(child, 'exit')
  let peakKb = 0
  const poll = setInterval(() => {
    void readFile(`/proc/${child.pid}/status`, 'utf8').then(
      (status) => {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
        peakKb = Math.max(peakKb, kb)
      },
      () => {},
    )
  }, 100)
  await exited
  clearInterval(poll)
  return Math.round(peakKb / 1024)
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

