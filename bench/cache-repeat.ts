/**
 * The cache's gain, measured: the same list run twice against the local emulator (behind a
 * counting proxy) and a page server of corpus-derived pages with ETags, each pass timed.
 * The second pass should make no model call and answer every page with a 304 or from the
 * cache; the row reports both passes' wall time, their ratio (in the same repetition, so a
 * busy machine slows both), model calls, and the main thread's CPU time per page.
 *
 *   npm run bench:cache -- [--pages 1000] [--reps 3] [--latency-ms 500] [--concurrency 64] [--quick] [--json FILE]
 *
 * Additive to the `bench` tables: its own command, its own rows.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import { startEmulator } from '../src/emulator/server.js'
import { readUrlList } from '../src/input/list.js'
import { resolveOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runSummaries } from '../src/run.js'
import type { SummarizerConfig } from '../src/summarizers/config.js'
import { startCorpusSite, startCountingProxy } from '../test/helpers/cache-site.js'

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1000' },
    reps: { type: 'string', default: '3' },
    'latency-ms': { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '64' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
})
const pages = values.quick ? 200 : Number(values.pages)
const reps = values.quick ? 1 : Number(values.reps)
const latencyMs = Number(values['latency-ms'])
const concurrency = Number(values.concurrency)

process.env['AWS_ACCESS_KEY_ID'] ??= 'bench'
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'bench'
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true'

interface Pass {
  wallMs: number
  /** Main-thread CPU (user + system) over the pass, per page. */
  cpuMsPerPage: number
  calls: number
  fromCache: number
  revalidated: number
  ok: number
  /** Failed pages by error code (a failed page is not cached: the next pass calls for it again). */
  errors: Record<string, number>
  /** Lines (0-based) whose page was ok. */
  okLines: number[]
}

async function pass(urls: string[], endpoint: string, cacheDir: string, calls: () => number): Promise<Pass> {
  const records: PageRecord[] = []
  const options = resolveOptions({ strategy: 'pool', concurrency, cacheDir, unordered: true })
  const summarizer: SummarizerConfig = { provider: 'bedrock', settings: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1', endpoint, maxSockets: concurrency, requestTimeoutMs: 60_000, retry: DEFAULT_RETRY_POLICY } }
  const before = calls()
  const cpu = process.cpuUsage()
  const started = performance.now()
  await runSummaries(readUrlList(Readable.from([urls.join('\n')])), { write: (record) => void records.push(record) }, options, summarizer, { inputLines: () => urls.length })
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return {
    wallMs,
    cpuMsPerPage: (used.user + used.system) / 1000 / urls.length,
    calls: calls() - before,
    fromCache: records.filter((r) => r.cache === 'hit' || r.cache === 'revalidated').length,
    revalidated: records.filter((r) => r.cache === 'revalidated').length,
    ok: records.filter((r) => r.status === 'ok').length,
    errors: records.reduce<Record<string, number>>((acc, r) => (r.error === null ? acc : { ...acc, [r.error.code]: (acc[r.error.code] ?? 0) + 1 }), {}),
    okLines: records.filter((r) => r.status === 'ok').map((r) => r.line - 1),
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const spread = (xs: number[], digits: number): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`

const site = await startCorpusSite(pages, () => 'etag')
const emulator = await startEmulator({ seed: 1, latencyMs, jitterMs: Math.round(latencyMs / 5), overshootRate: 0 })
const proxy = await startCountingProxy(emulator.url)
const urls = Array.from({ length: pages }, (_, i) => `${site.url}${site.path(i)}`)
const rows: Array<{ first: Pass; second: Pass; secondCallsForOkPages: number }> = []
try {
  for (let rep = 0; rep < reps; rep += 1) {
    const dir = await mkdtemp(join(tmpdir(), 'summarize-urls-bench-cache-'))
    try {
      const first = await pass(urls, proxy.url, dir, () => proxy.calls.length)
      const callsBefore = proxy.calls.length
      const second = await pass(urls, proxy.url, dir, () => proxy.calls.length)
      // Second-pass calls for pages the first pass answered: the figure that must be 0.
      const okBefore = new Set(first.okLines)
      const secondCallsForOkPages = proxy.calls.slice(callsBefore).filter((call) => okBefore.has(Number(call.edition?.split('.')[0] ?? -1))).length
      rows.push({ first, second, secondCallsForOkPages })
      process.stderr.write(`rep ${rep + 1}: first ${(first.wallMs / 1000).toFixed(2)} s, second ${(second.wallMs / 1000).toFixed(2)} s, ratio ${(second.wallMs / first.wallMs).toFixed(3)}, second-pass calls ${second.calls} (${secondCallsForOkPages} for pages ok in the first), first-pass errors ${JSON.stringify(first.errors)}\n`)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
} finally {
  await Promise.all([site.close(), proxy.close(), emulator.close()])
}

const ratio = rows.map((r) => r.second.wallMs / r.first.wallMs)
const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`
const lines = [
  `cache-repeat: ${pages} corpus-derived pages with ETags, emulator --latency-ms ${latencyMs} (jitter ${Math.round(latencyMs / 5)}), --strategy pool --concurrency ${concurrency}, ${reps} repetitions; median (min–max). ${machine}`,
  '',
  '| pass | wall s | model calls | from the cache | of which 304 | ok | main-thread CPU ms/page | errors |',
  '|---|---|---|---|---|---|---|---|',
  ...(['first', 'second'] as const).map((which) => {
    const p = rows.map((r) => r[which])
    return `| ${which} | ${spread(p.map((x) => x.wallMs / 1000), 2)} | ${spread(p.map((x) => x.calls), 0)} | ${spread(p.map((x) => x.fromCache), 0)} | ${spread(p.map((x) => x.revalidated), 0)} | ${spread(p.map((x) => x.ok), 0)} | ${spread(p.map((x) => x.cpuMsPerPage), 2)} | ${p.map((x) => JSON.stringify(x.errors)).join(' ')} |`
  }),
  '',
  `second-pass model calls for pages the first pass answered ok: ${spread(rows.map((r) => r.secondCallsForOkPages), 0)} (target 0; a page that failed is not cached and is asked again)`,
  '',
  `second pass / first pass, wall time: ${spread(ratio, 3)} (target ≤ 0.15)`,
]
process.stdout.write(`${lines.join('\n')}\n`)
if (values.json !== undefined) await writeFile(values.json, `${JSON.stringify({ pages, reps, latencyMs, concurrency, machine, rows: rows.map((r) => ({ ...r, first: { ...r.first, okLines: r.first.okLines.length }, second: { ...r.second, okLines: r.second.okLines.length } })), ratio }, null, 2)}\n`)
