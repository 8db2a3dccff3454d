/**
 * Where the pool's CPU goes: the `cpu` workload's pages run by `sequential` and by `pool`,
 * each run in a fresh process, the two alternating, with the process's CPU split by thread
 * from /proc/self/task: the main thread, the pool's threads, and the rest (V8's background
 * compiler and GC helpers, libuv). Linux only.
 *
 *   npm run bench:pool-cpu -- [--pages 900] [--reps 2] [--threads 2]
 *
 * Additive to the `bench` tables: its own command, its own rows. Run it as
 * `node --no-concurrent-recompilation --import tsx bench/pool-cpu.ts` (or with
 * `--single-threaded-gc`) to see how much of the helpers' share is the optimizing compiler
 * and how much the GC: the children get the same flags.
 */
import { fork } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { pageUrls, startPageServerChild } from './bench.js'
import { repeatTo, resolveCorpus } from './corpus.js'
import { runOnce, type RunJob, type RunSample } from './run-once.js'
import { steadyPagesPerSec } from './stats.js'
import { formatMs } from './table.js'

/** Kernel clock ticks are USER_HZ, 100 a second on every mainstream Linux build. */
const MS_PER_TICK = 10
/** How often the child reads its threads' CPU: a thread that exits loses at most this much of its time. */
const SAMPLE_MS = 50
const CONCURRENCY = 16

interface ThreadCpu {
  user: number
  system: number
}

/** What one child measured: the run's sample and the CPU of each of its threads, in ms. */
interface Split {
  runner: RunJob['runner']
  sample: RunSample
  main: ThreadCpu
  /** The pool's threads: the `threads` busiest threads other than the main one (none for sequential). */
  poolThreads: ThreadCpu[]
  /** Every other thread: V8's compiler and GC helpers, libuv's pool. */
  helpers: ThreadCpu
}

function threadsCpu(): Map<string, ThreadCpu> {
  const threads = new Map<string, ThreadCpu>()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      threads.set(tid, { user: Number(fields[11]) * MS_PER_TICK, system: Number(fields[12]) * MS_PER_TICK })
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads
}

const total = (cpu: ThreadCpu): number => cpu.user + cpu.system
const sum = (cpus: readonly ThreadCpu[]): ThreadCpu => ({ user: cpus.reduce((n, c) => n + c.user, 0), system: cpus.reduce((n, c) => n + c.system, 0) })

/** The child: one run, its threads read every SAMPLE_MS (pool threads are gone once the run has closed its pool). */
async function child(job: RunJob): Promise<Split> {
  const before = threadsCpu()
  const last = new Map(before)
  const timer = setInterval(() => {
    for (const [tid, cpu] of threadsCpu()) last.set(tid, cpu)
  }, SAMPLE_MS)
  const sample = await runOnce(job)
  clearInterval(timer)
  for (const [tid, cpu] of threadsCpu()) last.set(tid, cpu)
  const used = [...last].map(([tid, cpu]) => {
    const start = before.get(tid) ?? { user: 0, system: 0 }
    return { tid, cpu: { user: cpu.user - start.user, system: cpu.system - start.system } }
  })
  const main = used.find((t) => t.tid === String(process.pid))?.cpu ?? { user: 0, system: 0 }
  const others = used.filter((t) => t.tid !== String(process.pid)).sort((a, b) => total(b.cpu) - total(a.cpu))
  const pooled = job.runner === 'pool' && sample.threadsReadyMs !== null ? job.threads : 0
  return { runner: job.runner, sample, main, poolThreads: others.slice(0, pooled).map((t) => t.cpu), helpers: sum(others.slice(pooled).map((t) => t.cpu)) }
}

function runChild(job: RunJob): Promise<Split> {
  return new Promise((resolve, reject) => {
    const proc = fork(new URL(import.meta.url), ['--child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    proc.once('message', (split) => resolve(split as Split))
    proc.once('exit', (code) => reject(new Error(`pool-cpu child exited with code ${String(code)} before answering`)))
    proc.send(job)
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { pages: { type: 'string', default: '900' }, reps: { type: 'string', default: '2' }, threads: { type: 'string', default: String(availableParallelism()) } } })
  const pages = Number(values.pages)
  const reps = Number(values.reps)
  const threads = Number(values.threads)
  const corpus = resolveCorpus(undefined)
  const server = await startPageServerChild(corpus)
  const rows: Split[] = []
  try {
    const urls = pageUrls(server.url, repeatTo(corpus.pages.map((page) => `/${page}`), pages))
    const job = (runner: 'sequential' | 'pool'): RunJob => ({ runner, urls, concurrency: runner === 'sequential' ? 1 : CONCURRENCY, threads, summarizer: { provider: 'extractive' }, maxChars: 300 })
    for (let rep = 0; rep < reps; rep++) {
      // Alternating order: a burst of other load hits both alike.
      for (const runner of rep % 2 === 0 ? (['sequential', 'pool'] as const) : (['pool', 'sequential'] as const)) {
        const split = await runChild(job(runner))
        process.stderr.write(`pool-cpu: ${runner} run ${rep + 1}/${reps}: ${formatMs(split.sample.wallMs)}\n`)
        rows.push(split)
      }
    }
  } finally {
    await server.child.stop()
  }
  const ms = (n: number): string => `${(n / 1000).toFixed(2)} s`
  process.stdout.write(
    `${plainTable(
      rows.map((r) => ({
        strategy: r.runner,
        pages: r.sample.ok + r.sample.failed,
        wall: formatMs(r.sample.wallMs),
        'steady pages/s': steadyPagesPerSec(r.sample.doneMs, r.runner === 'sequential' ? 1 : CONCURRENCY).toFixed(1),
        'threads ready': r.sample.threadsReadyMs === null ? '-' : formatMs(r.sample.threadsReadyMs),
        'CPU (process)': ms(r.sample.cpuMs),
        'main thread': ms(total(r.main)),
        'pool threads': r.poolThreads.length === 0 ? '-' : r.poolThreads.map((t) => ms(total(t))).join(' + '),
        'helpers (V8, libuv)': ms(total(r.helpers)),
        'system part': ms(r.main.system + sum(r.poolThreads).system + r.helpers.system),
        'CPU a page': formatMs(r.sample.cpuMs / Math.max(1, r.sample.ok + r.sample.failed)),
      })),
    )}\n`,
  )
  if (rows.some((r) => r.runner === 'pool' && r.sample.threadsReadyMs === null)) {
    process.stdout.write('note: a pool run started no thread: its policy kept the pages on the main thread (on a loaded machine, the core share it got was below the policy\'s minimum; see src/executors/thread-policy.ts).\n')
  }
}

/** Rows of the same keys as a padded text table, the first column left-aligned. */
function plainTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  const keys = Object.keys(rows[0] ?? {})
  const cells = [keys, ...rows.map((row) => keys.map((key) => String(row[key])))]
  const widths = keys.map((_, i) => Math.max(...cells.map((line) => (line[i] as string).length)))
  return cells.map((line) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')).join('\n')
}

if (process.argv.includes('--child')) {
  process.once('message', (job: RunJob) => {
    void child(job).then((split) => process.send?.(split, undefined, {}, () => process.exit(0)))
  })
} else {
  await main()
}
