/**
 * The figures for rate control, fault tolerance and crash safety, against the local emulator
 * and a local page server only (127.0.0.1). Prints each figure with its target:
 *
 *   quota    emulator --rpm 600, one minute: share of the quota achieved and share of calls
 *            throttled after the first 10 s, with no --rpm on the client, then with --rpm 600
 *   faults   emulator with 20% throttling, 5% 5xx and 2% dropped connections: every line
 *            accounted for exactly once, and the share ok with default retries
 *   storm    the same faults on top of a quota of 120 a minute (--rpm, then --tpm), 200 pages
 *            at default settings and no client --rpm: the share ok, and the most requests the
 *            emulator received in any 60 s (throttled ones included) against its quota
 *   kill     20 runs of the real CLI killed with SIGKILL at a random moment, then resumed:
 *            one record per input line, none duplicated, and model calls across both at most
 *            pages + calls in flight at the kill
 *   memory   peak RSS of the CLI on a 10,000-line and a 100,000-line list (Linux: VmHWM)
 *
 *   npm run bench:resilience -- [--only quota,faults,storm,kill,memory] [--quick] [--json FILE]
 *
 * --quick shortens every part (20 s quota runs, fewer pages, 5 kills) to check the harness;
 * the figures the README reports come from a full run.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/emulator/server.js'
import type { EmulatorSecond } from '../src/emulator/stats.js'
import { readUrlList } from '../src/input.js'
import { listen, type Listening } from '../src/net/listen.js'
import { resolveOptions, type SummarizeOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runSummaries, type RunStats } from '../src/run.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'quota,faults,storm,kill,memory' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
})
const parts = new Set(values.only.split(','))
const quick = values.quick

process.env['AWS_ACCESS_KEY_ID'] ??= 'bench'
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'bench'
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true'
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0'

interface Figure {
  part: string
  name: string
  value: number
  target: string
  met: boolean
  detail?: string
}
const figures: Figure[] = []
function report(figure: Figure): void {
  figures.push(figure)
  console.log(`${figure.met ? 'MET ' : 'MISS'}  ${figure.part.padEnd(7)} ${figure.name}: ${figure.value} (target ${figure.target})${figure.detail === undefined ? '' : ` — ${figure.detail}`}`)
}

/** Light article pages, one per path, so fetching is never the bottleneck. */
async function startPages(): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const id = req.url ?? '/'
    const text = Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i + 1} of page ${id} reports on harbours, grain prices and the ships that carried them in the season of ${i + 1800}.</p>`).join('')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html lang="en"><head><title>Page ${id}</title></head><body><article><h1>Page ${id}</h1>${text}</article></body></html>`)
  })
  server.keepAliveTimeout = 65_000
  return listen(server)
}

function bedrock(emulator: RunningEmulator): SummarizerConfig {
  return { provider: 'bedrock', settings: { modelId: MODEL, region: 'us-east-1', endpoint: emulator.url, maxSockets: 64, requestTimeoutMs: 10_000, retry: DEFAULT_RETRY_POLICY } }
}

async function run(lines: string[], options: SummarizeOptions, summarizer: SummarizerConfig, stopAfterMs?: number): Promise<PageRecord[]> {
  return (await runWithStats(lines, options, summarizer, stopAfterMs)).records
}

async function runWithStats(lines: string[], options: SummarizeOptions, summarizer: SummarizerConfig, stopAfterMs?: number): Promise<{ records: PageRecord[]; stats: RunStats }> {
  const records: PageRecord[] = []
  const stop = new AbortController()
  const timer = stopAfterMs === undefined ? undefined : setTimeout(() => stop.abort(), stopAfterMs)
  const stats = await runSummaries(readUrlList(Readable.from([lines.join('\n')])), { write: (r) => void records.push(r) }, resolveOptions({ cache: false, ...options }), summarizer, { stopSignal: stop.signal, drainMs: 15_000 })
  clearTimeout(timer)
  if (stats.rate !== null) {
    const r = stats.rate
    console.log(`  rate control: ${r.calls} calls, ${r.throttled} throttled, in-flight limit cut ${r.cuts} times, ${r.limit} at the end (most in flight ${r.maxInFlight}), learned ${r.learnedRpm ?? 'no'} rpm`)
  }
  return { records, stats }
}

async function quotaPart(pages: { url: string }): Promise<void> {
  const rpm = 600
  const seconds = quick ? 20 : 60
  const warmup = 10
  for (const clientRpm of [undefined, rpm]) {
    const emulator = await startEmulator({ rpm, latencyMs: 800, jitterMs: 200 } satisfies EmulatorOptions)
    try {
      const lines = Array.from({ length: (rpm / 60) * seconds * 2 }, (_, i) => `${pages.url}/q${clientRpm ?? 0}-${i}`)
      await run(lines, { concurrency: 32, ...(clientRpm === undefined ? {} : { rpm: clientRpm }) }, bedrock(emulator), seconds * 1000)
      const timeline = emulator.stats().timeline
      // The window is the run's first `seconds` seconds, from the first busy second.
      const window = timeline.slice(0, seconds)
      const ok = window.reduce((n, s) => n + s.ok, 0)
      const late = window.slice(warmup)
      const lateRequests = late.reduce((n, s) => n + s.requests, 0)
      const lateThrottled = late.reduce((n, s) => n + s.throttled, 0)
      const achieved = ok / ((rpm / 60) * seconds)
      const throttledShare = lateRequests === 0 ? 0 : lateThrottled / lateRequests
      const label = clientRpm === undefined ? 'no client --rpm' : `client --rpm ${clientRpm}`
      const [minAchieved, maxThrottled] = clientRpm === undefined ? [0.9, 0.05] : [0.95, 0.01]
      report({ part: 'quota', name: `${label}: quota achieved over ${seconds} s`, value: round(achieved), target: `≥ ${minAchieved}`, met: achieved >= minAchieved, detail: `${ok} ok calls at ${rpm} rpm` })
      report({ part: 'quota', name: `${label}: throttled after ${warmup} s`, value: round(throttledShare), target: `< ${maxThrottled}`, met: throttledShare < maxThrottled, detail: `${lateThrottled} of ${lateRequests} calls` })
    } finally {
      await emulator.close()
    }
  }
}

async function faultsPart(pages: { url: string }): Promise<void> {
  const emulator = await startEmulator({ throttleRate: 0.2, errorRate: 0.05, resetRate: 0.02, latencyMs: 200, jitterMs: 50 })
  try {
    const n = quick ? 200 : 1000
    const lines = Array.from({ length: n }, (_, i) => `${pages.url}/f${i}`)
    const records = await run(lines, { concurrency: 32 }, bedrock(emulator))
    const lineNumbers = records.map((r) => r.line).sort((a, b) => a - b)
    const exactlyOnce = lineNumbers.length === n && lineNumbers.every((line, i) => line === i + 1)
    const ok = records.filter((r) => r.status === 'ok').length
    const s = emulator.stats()
    report({ part: 'faults', name: `${n} lines accounted for exactly once`, value: exactlyOnce ? 1 : 0, target: '1', met: exactlyOnce, detail: `${records.length} records` })
    const failures = records.filter((r) => r.status === 'error').map((r) => (r.status === 'error' ? r.error.code : ''))
    report({
      part: 'faults',
      name: 'ok with default retries',
      value: round(ok / n),
      target: '≥ 0.99',
      met: ok / n >= 0.99,
      detail: `emulator saw ${s.requests} calls: ${s.throttled} throttled, ${s.errors} 5xx, ${s.reset} reset${failures.length === 0 ? '' : `; failed: ${failures.join(', ')}`}`,
    })
  } finally {
    await emulator.close()
  }
}

/** Most requests the emulator received in any `seconds` consecutive seconds, throttled ones included. */
function maxWindow(timeline: EmulatorSecond[], seconds: number): number {
  let most = 0
  for (let end = 0; end < timeline.length; end++) {
    let sum = 0
    for (let s = Math.max(0, end - seconds + 1); s <= end; s++) sum += timeline[s]!.requests
    most = Math.max(most, sum)
  }
  return most
}

/**
 * Issue 10's storm: random 429s, 5xx and resets on top of a quota of 120 requests a minute,
 * 200 pages at default settings, no client --rpm. Then the same quota as tokens: --tpm set to
 * 120 calls' worth of what a call of this workload uses, measured first.
 */
async function stormPart(pages: { url: string }): Promise<void> {
  const n = quick ? 60 : 200
  const faults = { throttleRate: 0.2, errorRate: 0.05, resetRate: 0.02 }
  const probe = await startEmulator({ latencyMs: 0, jitterMs: 0 })
  let tokensPerCall: number
  try {
    await run(Array.from({ length: 16 }, (_, i) => `${pages.url}/probe${i}`), {}, bedrock(probe))
    const s = probe.stats()
    tokensPerCall = s.tokens / s.ok
  } finally {
    await probe.close()
  }
  const rpm = 120
  for (const quota of [{ rpm }, { tpm: Math.round(rpm * tokensPerCall) }]) {
    const label = 'rpm' in quota ? `emulator --rpm ${rpm}` : `emulator --tpm ${quota.tpm} (${rpm} calls of ${Math.round(tokensPerCall)} tokens)`
    const emulator = await startEmulator({ ...quota, ...faults })
    try {
      const lines = Array.from({ length: n }, (_, i) => `${pages.url}/storm-${Object.keys(quota)[0]}-${i}`)
      const t0 = performance.now()
      const { records, stats } = await runWithStats(lines, {}, bedrock(emulator))
      const wallS = Math.round((performance.now() - t0) / 1000)
      const s = emulator.stats()
      const ok = records.filter((r) => r.status === 'ok').length / n
      const most = maxWindow(s.timeline, 60)
      const share = most / rpm
      const detail = `${s.requests} requests in ${wallS} s, ${round(s.throttled / s.requests)} of them throttled; learned ${stats.rate?.learnedRpm ?? 'no'} rpm`
      report({ part: 'storm', name: `${label}, 20% random 429s, 5% 5xx, 2% resets, ${n} pages, no client --rpm: ok`, value: round(ok), target: '≥ 0.99', met: ok >= 0.99, detail })
      report({ part: 'storm', name: `${label}: most requests in any 60 s, share of the quota`, value: round(share), target: '≤ 1.1', met: share <= 1.1, detail: `${most} requests against ${rpm}` })
    } finally {
      await emulator.close()
    }
  }
}

async function killPart(pages: { url: string }): Promise<void> {
  const runs = quick ? 5 : 20
  const n = quick ? 150 : 300
  const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'su-kill-'))
  const emulator = await startEmulator({ latencyMs: 150, jitterMs: 100 })
  let worstExtra = 0
  let allGood = true
  const problems: string[] = []
  const argsFor = (input: string, out: string): string[] => ['--import', 'tsx', bin, input, '--out', out, '--provider', 'bedrock', '--endpoint-url', emulator.url, '--region', 'us-east-1', '--concurrency', '16', '--quiet']
  try {
    // One uncut run says how long a run takes, so the kills land all over it.
    const calibration = join(dir, 'calibration.txt')
    await writeFile(calibration, `${Array.from({ length: n }, (_, i) => `${pages.url}/cal-${i}`).join('\n')}\n`)
    const t0 = performance.now()
    await once(spawn(process.execPath, argsFor(calibration, join(dir, 'calibration.jsonl')), { stdio: 'ignore' }), 'exit')
    const fullRunMs = performance.now() - t0
    console.log(`  an uncut run of ${n} pages takes ${Math.round(fullRunMs)} ms`)
    for (let k = 0; k < runs; k++) {
      const input = join(dir, `urls-${k}.txt`)
      const out = join(dir, `out-${k}.jsonl`)
      await writeFile(input, `${Array.from({ length: n }, (_, i) => `${pages.url}/k${k}-${i}`).join('\n')}\n`)
      const args = argsFor(input, out)
      const before = emulator.stats().requests
      // Killed somewhere between start-up and the end of a run (~4 s for these pages).
      const child = spawn(process.execPath, args, { stdio: 'ignore' })
      const exited = once(child, 'exit')
      // A random moment of the run: from start-up (workers loading) to near its end.
      const killAt = 300 + Math.random() * (fullRunMs * 0.9 - 300)
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, killAt))])
      const atKill = emulator.stats()
      child.kill('SIGKILL')
      await exited
      const written = (await readFile(out, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith('}') && l.includes('"status":"ok"')).length
      // In flight at the kill, as the client sees it: calls it had made whose page was not yet
      // on disk. The emulator's own count misses replies sent but not yet written by the client.
      const inFlightAtKill = atKill.requests - before - written
      const resume = spawn(process.execPath, [...args, '--resume'], { stdio: 'ignore' })
      const [code] = (await once(resume, 'exit')) as [number | null]
      const records = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as PageRecord)
      const lines = records.map((r) => r.line)
      const onePerLine = lines.length === n && lines.every((line, i) => line === i + 1)
      const calls = emulator.stats().requests - before
      const extra = calls - n
      worstExtra = Math.max(worstExtra, extra - inFlightAtKill)
      const good = onePerLine && code === 0 && extra <= inFlightAtKill
      allGood &&= good
      if (!good) problems.push(`run ${k + 1}: ${lines.length} records, exit ${code}, ${calls} calls for ${n} pages with ${inFlightAtKill} in flight at the kill`)
      console.log(`  kill ${k + 1}/${runs} at ${Math.round(killAt)} ms: ${written} records on disk, ${inFlightAtKill} calls in flight (${atKill.inFlight} unanswered at the emulator); after --resume ${lines.length} records, ${calls} calls (${extra} repeated)`)
    }
  } finally {
    await emulator.close()
    await rm(dir, { recursive: true, force: true })
  }
  report({ part: 'kill', name: `${runs} SIGKILLed runs resumed: one record per line, calls ≤ pages + in flight`, value: allGood ? 1 : 0, target: '1', met: allGood, detail: problems.length === 0 ? `worst case ${worstExtra} calls to spare` : problems.join('; ') })
}

/** Peak RSS of a child process, from /proc (Linux), polled until it exits. */
async function peakRssMb(args: string[]): Promise<number> {
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

async function memoryPart(pages: { url: string }): Promise<void> {
  const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'su-mem-'))
  const sizes = quick ? [2_000, 20_000] : [10_000, 100_000]
  try {
    const peaks: number[] = []
    for (const n of sizes) {
      const input = join(dir, `urls-${n}.txt`)
      await writeFile(input, `${Array.from({ length: n }, (_, i) => `${pages.url}/m${i}`).join('\n')}\n`)
      peaks.push(await peakRssMb(['--import', 'tsx', bin, input, '--provider', 'extractive', '--strategy', 'async', '--concurrency', '64', '--quiet', '--out', join(dir, `out-${n}.jsonl`)]))
      console.log(`  ${n} lines: peak RSS ${peaks.at(-1)} MB`)
    }
    const ratio = peaks[1]! / peaks[0]!
    report({ part: 'memory', name: `peak RSS, ${sizes[1]} lines against ${sizes[0]}`, value: round(ratio), target: '≤ 1.5 (flat: not 10×)', met: ratio <= 1.5, detail: `${peaks[0]} MB and ${peaks[1]} MB` })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

const pages = await startPages()
try {
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}${quick ? ' (--quick)' : ''}`)
  if (parts.has('quota')) await quotaPart(pages)
  if (parts.has('faults')) await faultsPart(pages)
  if (parts.has('storm')) await stormPart(pages)
  if (parts.has('kill')) await killPart(pages)
  if (parts.has('memory')) await memoryPart(pages)
} finally {
  await pages.close()
}
if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify(figures, null, 2)}\n`)
process.exitCode = figures.every((f) => f.met) ? 0 : 1
