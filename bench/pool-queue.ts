/**
 * Where pages wait for a thread, A/B in one process (issue 23): smallest first in Piscina's
 * own queue (the pool's `taskQueue`, what the `pool` strategy does) against smallest first in
 * a queue outside Piscina that hands it at most two pages a thread (what it did before, kept
 * here as the baseline: the same SmallestFirst order, aging included, in front of Piscina's
 * FIFO). Both arms run the same warm two-thread pool settings, the same worker and the same
 * pages: the 90 corpus pages `--copies` times in one seeded order, decoded, extracted and
 * summarized offline on the threads, fed by `--concurrency` slots as a run feeds the pool.
 * The arms alternate (A B, then B A, ...) over `--reps` repetitions, so a busy machine slows
 * both; each figure is a median with its range, and the ratio is taken within a repetition.
 *
 *   npx tsx bench/pool-queue.ts [--reps 7] [--copies 3] [--concurrency 32] [--threads 2] [--json FILE]
 */
import { writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { FixedQueue } from 'piscina'
import type { AnalyzeTask } from '../src/analyze.js'
import { PageQueue } from '../src/executors/page-queue.js'
import { PagePool } from '../src/executors/thread-pool.js'
import type { WorkerResult } from '../src/executors/worker-protocol.js'
import { CORPUS_DIR, corpusPageNames } from '../test/helpers/corpus.js'
import { describeMachine, machineLine } from './machine.js'
import { median, percentile, spread, type Spread } from './stats.js'

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '7' },
    copies: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
    json: { type: 'string' },
  },
})
const reps = positive('--reps', values.reps)
const copies = positive('--copies', values.copies)
const concurrency = positive('--concurrency', values.concurrency)
const threads = positive('--threads', values.threads)
/** As the pool: a thread holds the page it works on and the next. */
const PAGES_PER_THREAD = 2

function positive(option: string, value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${option} must be a positive integer, got \`${value}\``)
  return n
}

type Arm = 'outside' | 'taskQueue'
type Runner = (task: AnalyzeTask) => Promise<WorkerResult>

interface Pass {
  wallMs: number
  /** CPU time of the whole process (main thread and pool threads), user + system: less stretched by other programs than wall time. */
  cpuMs: number
  /** Mean and p95 of a page's time from being handed to the pool to its answer. */
  meanPageMs: number
  p95PageMs: number
  ok: number
}

/** The baseline: at most threads × PAGES_PER_THREAD pages in Piscina (FIFO inside); the rest wait outside, smallest first. */
function outsideQueue(pool: PagePool): Runner {
  const waiting = new PageQueue()
  let handedOver = 0
  return async (task) => {
    if (handedOver < threads * PAGES_PER_THREAD) handedOver += 1
    else await waiting.wait(task.body.byteLength)
    try {
      return await pool.run(task)
    } finally {
      if (!waiting.next()) handedOver -= 1
    }
  }
}

/** Pages in a seeded order (a linear congruential shuffle), so every arm and repetition sees the same sequence. */
function workload(): AnalyzeTask[] {
  const pages = corpusPageNames().map((name): AnalyzeTask => ({
    url: `http://corpus.test/${name}/`,
    body: readFileSync(join(CORPUS_DIR, name, 'source.html')),
    contentType: 'text/html',
    headerCharset: undefined,
    maxChars: 150,
    maxInputChars: 12_000,
  }))
  const all = Array.from({ length: copies }, (_, copy) => pages.map((p) => ({ ...p, url: `${p.url}?copy=${copy}` }))).flat()
  let seed = 23
  for (let i = all.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    const j = seed % (i + 1)
    ;[all[i], all[j]] = [all[j] as AnalyzeTask, all[i] as AnalyzeTask]
  }
  return all
}

async function pass(run: Runner, pages: readonly AnalyzeTask[]): Promise<Pass> {
  const pageMs: number[] = []
  let ok = 0
  let next = 0
  const started = performance.now()
  const cpu = process.cpuUsage()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < pages.length; i = next++) {
        const handed = performance.now()
        const result = await run(pages[i] as AnalyzeTask)
        pageMs.push(performance.now() - handed)
        if (result.status === 'ok') ok += 1
      }
    }),
  )
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { wallMs, cpuMs: (used.user + used.system) / 1000, meanPageMs: pageMs.reduce((a, b) => a + b, 0) / pageMs.length, p95PageMs: percentile(pageMs, 95), ok }
}

const summary = (xs: number[]): { median: number } & Spread => ({ median: median(xs), ...spread(xs) })
const fixed = (x: number, digits = 0): string => x.toFixed(digits)

const pages = workload()
const pools: Record<Arm, PagePool> = {
  outside: new PagePool({ threads, perThread: PAGES_PER_THREAD, memoryMb: 1024, init: { summarize: true }, taskQueue: new FixedQueue() }),
  taskQueue: new PagePool({ threads, perThread: PAGES_PER_THREAD, memoryMb: 1024, init: { summarize: true } }),
}
const runners: Record<Arm, Runner> = { outside: outsideQueue(pools.outside), taskQueue: (task) => pools.taskQueue.run(task) }
// Warm-up, untimed: threads started, code compiled, heaps grown, in both pools.
for (const arm of ['outside', 'taskQueue'] as const) await pass(runners[arm], pages)

const passes: Record<Arm, Pass[]> = { outside: [], taskQueue: [] }
const load: number[] = []
for (let rep = 0; rep < reps; rep++) {
  const order: Arm[] = rep % 2 === 0 ? ['outside', 'taskQueue'] : ['taskQueue', 'outside']
  for (const arm of order) passes[arm].push(await pass(runners[arm], pages))
  load.push(loadavg()[0] as number)
  process.stderr.write(`rep ${rep + 1}/${reps}: outside ${fixed(passes.outside[rep]?.wallMs ?? 0)} ms, taskQueue ${fixed(passes.taskQueue[rep]?.wallMs ?? 0)} ms\n`)
}
await Promise.all([pools.outside.destroy(), pools.taskQueue.destroy()])

const arms = Object.fromEntries(
  (['outside', 'taskQueue'] as const).map((arm) => [
    arm,
    { wallMs: summary(passes[arm].map((p) => p.wallMs)), cpuMs: summary(passes[arm].map((p) => p.cpuMs)), meanPageMs: summary(passes[arm].map((p) => p.meanPageMs)), p95PageMs: summary(passes[arm].map((p) => p.p95PageMs)), ok: passes[arm].map((p) => p.ok) },
  ]),
) as Record<Arm, { wallMs: ReturnType<typeof summary>; cpuMs: ReturnType<typeof summary>; meanPageMs: ReturnType<typeof summary>; p95PageMs: ReturnType<typeof summary>; ok: number[] }>
/** taskQueue's wall time over outside's, within each repetition: below 1 is faster. */
const ratios = passes.taskQueue.map((p, i) => p.wallMs / (passes.outside[i] as Pass).wallMs)
const cpuRatios = passes.taskQueue.map((p, i) => p.cpuMs / (passes.outside[i] as Pass).cpuMs)
const machine = machineLine(describeMachine(undefined))

const range = (s: { median: number } & Spread, digits = 0): string => `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`
console.log(`pool-queue: ${pages.length} corpus pages (90 × ${copies}), offline, ${threads} threads × ${PAGES_PER_THREAD}, ${concurrency} slots, ${reps} alternating repetitions; median (min–max). ${machine}`)
console.log('| queue | wall ms | CPU ms | mean page ms | p95 page ms |')
console.log('|---|---|---|---|---|')
for (const arm of ['outside', 'taskQueue'] as const) console.log(`| ${arm} | ${range(arms[arm].wallMs)} | ${range(arms[arm].cpuMs)} | ${range(arms[arm].meanPageMs)} | ${range(arms[arm].p95PageMs)} |`)
console.log(`taskQueue / outside, paired by repetition: wall time ${range(summary(ratios), 3)}, CPU time ${range(summary(cpuRatios), 3)}; 1-minute load average ${range(summary(load), 2)}`)

if (values.json !== undefined) {
  const result = { command: `npx tsx bench/pool-queue.ts --reps ${reps} --copies ${copies} --concurrency ${concurrency} --threads ${threads}`, pages: pages.length, threads, perThread: PAGES_PER_THREAD, concurrency, reps, machine, arms, ratio: { ...summary(ratios), values: ratios }, cpuRatio: { ...summary(cpuRatios), values: cpuRatios }, loadAverage: load, passes }
  await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`)
}
