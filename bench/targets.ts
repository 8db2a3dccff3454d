import type { RowResult } from './results.js'
import { formatMs } from './table.js'
import type { Workload } from './workloads.js'

/** One of the figures the benchmark must show, checked against this run. `met` is null when the run lacks the rows. */
export interface TargetCheck {
  id: 'io-efficiency' | 'cpu-speedup' | 'cpu-event-loop' | 'seed-shape' | 'node-vs-peers'
  statement: string
  met: boolean | null
  detail: string
}

/** Throughput differences below this are run-to-run noise on a shared 2-core machine, not a ranking. */
export const PEER_TOLERANCE = 0.03

const IO_CONCURRENCY = 50
const IO_EFFICIENCY = 0.9
const CPU_SPEEDUP = 1.7
const CPU_LOOP_MS = 50
/** "Far above": at least this many times the pool's p99, and over the 50 ms line. */
const CPU_LOOP_FACTOR = 3
const SEED_SLACK = 0.1

const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')

function rate(r: RowResult): number {
  return (r.row.pages * 1000) / r.row.wallMs
}

function label(r: RowResult): string {
  return `${r.row.strategy}${r.row.strategy === 'pool' ? ` (${r.row.threads} threads)` : ''}`
}

/** Checks "What the numbers must show" on whatever rows this run has; a quick run says it is one. */
export function checkTargets(rows: readonly RowResult[], workloads: readonly Workload[], cores: number): TargetCheck[] {
  const of = (name: string): RowResult[] => rows.filter((r) => r.row.workload === name)
  const sizeNote = (name: string, pages: number): string => (pages === workloadPages(workloads, name) ? '' : ` (this run: ${pages} pages)`)
  const checks: TargetCheck[] = []

  const io = of('io').filter((r) => (r.row.strategy === 'async' || r.row.strategy === 'pool') && r.row.concurrency === IO_CONCURRENCY)
  if (of('io').length > 0) {
    checks.push({
      id: 'io-efficiency',
      statement: `io, concurrency ${IO_CONCURRENCY}: pool and async efficiency ≥ ${IO_EFFICIENCY}`,
      met: !hasBoth(io) ? null : io.every((r) => r.row.efficiency >= IO_EFFICIENCY),
      detail:
        io.length === 0
          ? `no async or pool row at concurrency ${IO_CONCURRENCY}`
          : io.map((r) => `${label(r)} ${fmt(r.row.efficiency)} (${formatMs(r.row.wallMs)} against ideal ${formatMs(r.row.idealMs)}, ${r.row.pages} pages)`).join('; '),
    })
  }

  const cpu = of('cpu')
  if (cpu.length > 0) {
    const pool = cpu.filter((r) => r.row.strategy === 'pool' && r.row.threads === 2)[0] ?? cpu.filter((r) => r.row.strategy === 'pool').sort((a, b) => b.row.threads - a.row.threads)[0]
    const sequential = cpu.find((r) => r.row.strategy === 'sequential')
    const inline = cpu.find((r) => r.row.strategy === 'async')
    if (pool === undefined || sequential === undefined || inline === undefined) {
      checks.push({ id: 'cpu-speedup', statement: `cpu: pool with 2 threads ≥ ${CPU_SPEEDUP}× faster than sequential and async`, met: null, detail: 'needs the sequential, async and pool rows' })
    } else {
      const overSequential = rate(pool) / rate(sequential)
      const overAsync = rate(pool) / rate(inline)
      const met = overSequential >= CPU_SPEEDUP && overAsync >= CPU_SPEEDUP
      // The most the pool could gain: its CPU time spread over every core of the machine.
      const bound = (cores * sequential.row.wallMs) / pool.row.cpuMs
      const why = met
        ? ''
        : `; why: sequential itself kept ${fmt(sequential.row.cpuMs / sequential.row.wallMs)} cores busy (V8's GC and compiler threads run beside the main thread), ` +
          `and the pool spent ${formatMs(pool.row.cpuMs)} of CPU on pages sequential did with ${formatMs(sequential.row.cpuMs)} (each thread starts, compiles and collects on its own), ` +
          `so ${cores} cores allow it at most ${fmt(bound)}× sequential`
      checks.push({
        id: 'cpu-speedup',
        statement: `cpu: pool with 2 threads ≥ ${CPU_SPEEDUP}× faster than sequential and async`,
        met,
        detail: `${label(pool)} ${fmt(overSequential)}× sequential, ${fmt(overAsync)}× async${sizeNote('cpu', pool.row.pages)}${why}`,
      })
      const poolLoop = pool.row.eventLoopP99Ms ?? Number.NaN
      const asyncLoop = inline.row.eventLoopP99Ms ?? Number.NaN
      checks.push({
        id: 'cpu-event-loop',
        statement: `cpu: pool's main-thread event-loop p99 < ${CPU_LOOP_MS} ms, async's far above`,
        met: poolLoop < CPU_LOOP_MS && asyncLoop > CPU_LOOP_MS && asyncLoop >= CPU_LOOP_FACTOR * poolLoop,
        detail: `pool ${formatMs(poolLoop)}, async ${formatMs(asyncLoop)}`,
      })
    }
  }

  const seed = of('seed')
  if (seed.length > 0) {
    const sequential = seed.find((r) => r.row.strategy === 'sequential')
    const parallel = seed.filter((r) => r.row.strategy === 'async' || r.row.strategy === 'pool')
    if (sequential === undefined || !hasBoth(parallel)) {
      checks.push({ id: 'seed-shape', statement: 'seed: async and pool within 10% of the slowest page; sequential the sum', met: null, detail: 'needs the sequential, async and pool rows' })
    } else {
      // The write-up's point: overlapping strategies take as long as their slowest page (every
      // page ran at once), serial ones the sum of their pages. Both from the row's own records.
      const within = parallel.map((r) => ({ r, ratio: r.row.wallMs / r.slowestPageMs }))
      const sumRatio = sequential.row.wallMs / sequential.pageSumMs
      checks.push({
        id: 'seed-shape',
        statement: `seed: async and pool within ${SEED_SLACK * 100}% of their slowest single page; sequential the sum`,
        met: within.every(({ ratio }) => ratio <= 1 + SEED_SLACK) && Math.abs(sumRatio - 1) <= SEED_SLACK,
        detail:
          `${within.map(({ r, ratio }) => `${label(r)} ${formatMs(r.row.wallMs)} = ${fmt(ratio)}× its slowest page (${formatMs(r.slowestPageMs)})`).join(', ')}; ` +
          `sequential ${formatMs(sequential.row.wallMs)} = ${fmt(sumRatio)}× the sum of its pages (${formatMs(sequential.pageSumMs)}); ` +
          `one page alone (sequential's slowest) takes ${formatMs(sequential.slowestPageMs)}`,
      })
    }
  }

  const pairs: string[] = []
  let peersMet: boolean | null = null
  for (const peer of rows.filter((r) => r.row.strategy.startsWith('python-') || r.row.strategy === 'p-limit')) {
    const nodeRows = rows.filter(
      (r) => r.row.workload === peer.row.workload && r.row.concurrency === peer.row.concurrency && ['sequential', 'async', 'pool'].includes(r.row.strategy),
    )
    for (const node of nodeRows) {
      const ratio = rate(node) / rate(peer)
      const ok = ratio >= 1 - PEER_TOLERANCE
      peersMet = (peersMet ?? true) && ok
      if (!ok || peer.row.strategy === 'p-limit' || peer.row.strategy === 'python-threads') {
        pairs.push(`${peer.row.workload} c=${peer.row.concurrency}: ${label(node)} ${fmt(ratio)}× ${peer.row.strategy}${ok ? '' : ` (slower: ${peerReason(node, peer, rows)})`}`)
      }
    }
  }
  if (pairs.length > 0 || rows.some((r) => r.row.strategy === 'p-limit')) {
    checks.push({
      id: 'node-vs-peers',
      statement: `Node strategies at least as fast as the p-limit and Python rows at equal concurrency (within ${PEER_TOLERANCE * 100}% noise)`,
      met: peersMet,
      detail: pairs.length === 0 ? 'no peer row shares a concurrency with a Node row' : pairs.join('; '),
    })
  }
  return checks
}

/** Why a Node row trails a peer, from what the run measured. */
function peerReason(node: RowResult, peer: RowResult, rows: readonly RowResult[]): string {
  const nodeCpu = node.row.cpuMs / node.row.pages
  const peerCpu = peer.row.cpuMs / peer.row.pages
  if (peer.row.strategy.startsWith('python-') && peerCpu < 0.5 * nodeCpu) {
    return `the peer spends ${formatMs(peerCpu)} of CPU a page against ${formatMs(nodeCpu)}: html.parser strips tags where we run Readability, not the same work`
  }
  const inline = rows.find((r) => r.row.workload === node.row.workload && r.row.concurrency === node.row.concurrency && r.row.strategy === 'async')
  if (node.row.strategy === 'pool' && inline !== undefined && node.row.p50Ms > inline.row.p50Ms) {
    return `its pages took ${formatMs(node.row.p50Ms - inline.row.p50Ms)} longer at p50 than async's: starting the threads (each loads the SDK, Readability and linkedom) and handing pages over, on a ${formatMs(node.row.wallMs)} run`
  }
  if (node.wallMinMs * (peer.row.pages / node.row.pages) <= peer.row.wallMs) return 'its fastest run matched the peer: run-to-run noise'
  return `${formatMs(node.row.p50Ms)} a page at p50 against the peer's ${formatMs(peer.row.p50Ms)}`
}

/** A verdict on "pool and async" needs both rows. */
function hasBoth(rows: readonly RowResult[]): boolean {
  return rows.some((r) => r.row.strategy === 'async') && rows.some((r) => r.row.strategy === 'pool')
}

function workloadPages(workloads: readonly Workload[], name: string): number {
  return workloads.find((w) => w.name === name)?.paths.length ?? Number.NaN
}
