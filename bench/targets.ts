import type { Probes } from './probes.js'
import type { RowResult } from './results.js'
import { jitteredBestMs } from './stats.js'
import { fmt, label, rate, type Context, type TargetCheck } from './target-context.js'
import { ceilingChecks, cpuChecks, jobCheck, poolOverAsync } from './targets-threads.js'
import { formatMs } from './table.js'
import { INLINE_NODE_ROWS, type Workload } from './workloads.js'

export type { TargetCheck } from './target-context.js'

/** Throughput differences below this are run-to-run noise on a shared 2-core machine, not a ranking. */
export const PEER_TOLERANCE = 0.03

const IO_CONCURRENCY = 50
const IO_EFFICIENCY = 0.95
/** `--version` and `--help` within this many times `node -e 0`. */
const STARTUP_FACTOR = 3
const WORKER_READY_MS = 100
/** The default settings (pool, a thread per core) within 5% of the fastest Node row without threads, or faster. */
const DEFAULT_SLACK = 0.05
const MIXED_PEER_CONCURRENCY = [32, 128]
const SEED_SLACK = 0.1

/** Checks "What the numbers must show" on whatever rows this run has; a quick run says it is one. */
export function checkTargets(rows: readonly RowResult[], workloads: readonly Workload[], cores: number, probes: Probes = {}, quick = false): TargetCheck[] {
  const ctx: Context = {
    rows,
    workloads,
    cores,
    probes,
    quick,
    of: (name) => rows.filter((r) => r.row.workload === name),
    sizeNote: (name, pages) => (pages === workloadPages(workloads, name) ? '' : ` (this run: ${pages} pages)`),
  }
  return [startupChecks, defaultChecks, poolOverAsync, ceilingChecks, jobCheck, mixedVsPython, ioEfficiency, cpuChecks, seedShape, peerChecks].flatMap((check) => check(ctx))
}

/** `--version`, `--help` and a pool thread, against their floors. */
function startupChecks(ctx: Context): TargetCheck[] {
  const checks: TargetCheck[] = []
  const { startup } = ctx.probes
  if (startup !== undefined) {
    const worst = Math.max(startup.versionMs, startup.helpMs) / startup.nodeMs
    checks.push({
      id: 'startup',
      statement: `--version and --help within ${STARTUP_FACTOR}× node -e 0`,
      met: worst <= STARTUP_FACTOR,
      detail: `--version ${fmt(startup.versionMs / startup.nodeMs, 1)}×, --help ${fmt(startup.helpMs / startup.nodeMs, 1)}× (node -e 0 ${formatMs(startup.nodeMs)})${startup.fromSource ? '; from source, tsx included: run the built CLI for the real figure' : ''}`,
    })
    checks.push({
      id: 'worker-ready',
      statement: `a pool thread ready for its first page within ${WORKER_READY_MS} ms (offline summarizer)`,
      met: startup.workerReadyMs <= WORKER_READY_MS,
      detail: `${formatMs(startup.workerReadyMs)}${startup.fromSource ? ' from source (tsx compiles in every thread)' : ''}`,
    })
  }

  return checks
}

/** The default settings keep up with the fastest row a user could pick without threads. */
function defaultChecks(ctx: Context): TargetCheck[] {
  const { cores } = ctx
  const of = ctx.of
  const checks: TargetCheck[] = []
  // The default settings are the pool with a thread per core; at each concurrency a workload
  // runs, it must keep up with the fastest row a user could pick instead without threads.
  const defaults: string[] = []
  let defaultsMet: boolean | null = null
  for (const workload of ctx.workloads) {
    for (const pool of of(workload.name).filter((r) => r.row.strategy === 'pool' && r.row.threads === cores)) {
      const rivals = of(workload.name).filter((r) => INLINE_NODE_ROWS.includes(r.row.strategy as never) && (r.row.concurrency === pool.row.concurrency || r.row.strategy === 'sequential'))
      const fastest = rivals.sort((a, b) => rate(b) - rate(a))[0]
      if (fastest === undefined) continue
      const ratio = rate(pool) / rate(fastest)
      const ok = ratio >= 1 - DEFAULT_SLACK
      defaultsMet = (defaultsMet ?? true) && ok
      defaults.push(`${workload.name} c=${pool.row.concurrency}: ${fmt(ratio)}× ${fastest.row.strategy}${ok ? '' : ' (slower)'}`)
    }
  }
  if (defaults.length > 0) {
    checks.push({
      id: 'default-not-slowest',
      statement: `the default (pool, a thread per core) within ${DEFAULT_SLACK * 100}% of the fastest of sequential, async and p-limit on every workload`,
      met: defaultsMet,
      detail: defaults.join('; '),
    })
  }

  return checks
}

/** mixed: the pool against the Python peer doing our work (readability-lxml), else the tag-stripping one. */
function mixedVsPython(ctx: Context): TargetCheck[] {
  const { cores } = ctx
  const of = ctx.of
  const checks: TargetCheck[] = []
  const readability = of('mixed').filter((r) => r.row.strategy === 'python-readability')
  const mixedPython = readability.length > 0 ? readability : of('mixed').filter((r) => r.row.strategy === 'python-threads')
  const peerName = readability.length > 0 ? 'python-readability' : 'python-threads'
  if (mixedPython.length > 0) {
    const pairs = mixedPython.map((peer) => ({ peer, pool: of('mixed').find((r) => r.row.strategy === 'pool' && r.row.threads === cores && r.row.concurrency === peer.row.concurrency) }))
    const compared = pairs.filter((p): p is { peer: RowResult; pool: RowResult } => p.pool !== undefined)
    const missing = MIXED_PEER_CONCURRENCY.filter((c) => !compared.some(({ peer }) => peer.row.concurrency === c))
    checks.push({
      id: 'mixed-vs-python',
      statement: `mixed at c=${MIXED_PEER_CONCURRENCY.join(' and c=')}: pool pages/s ≥ ${peerName}`,
      met: compared.length === 0 ? null : compared.every(({ pool, peer }) => rate(pool) >= rate(peer)),
      detail:
        compared
          .map(({ pool, peer }) => `c=${peer.row.concurrency}: pool ${fmt(rate(pool), 1)} against ${fmt(rate(peer), 1)} pages/s (CPU a page ${formatMs(pool.row.cpuMs / pool.row.pages)} against ${formatMs(peer.row.cpuMs / peer.row.pages)}; tokens a page ${fmt(pool.row.inputTokensPerPage ?? Number.NaN, 0)} against ${fmt(peer.row.inputTokensPerPage ?? Number.NaN, 0)})`)
          .join('; ') +
        (missing.length === 0 ? '' : `; not run at c=${missing.join(', c=')}`),
    })
  }

  return checks
}

/** io at 50 in flight: async and pool near the ideal. */
function ioEfficiency(ctx: Context): TargetCheck[] {
  const of = ctx.of
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
          : [...io.map((r) => `${label(r)} ${fmt(r.row.efficiency)} (${formatMs(r.row.wallMs)} against ideal ${formatMs(r.row.idealMs)}, ${r.row.pages} pages)`), ...jitterNote(io, ctx.workloads.find((w) => w.name === 'io'))].join('; '),
    })
  }

  return checks
}

/** seed: the write-up's shape. */
function seedShape(ctx: Context): TargetCheck[] {
  const of = ctx.of
  const checks: TargetCheck[] = []
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

  return checks
}

/** Node rows level with the peers at equal concurrency. */
function peerChecks(ctx: Context): TargetCheck[] {
  const { rows } = ctx
  const checks: TargetCheck[] = []
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
    return `its pages took ${formatMs(node.row.p50Ms - inline.row.p50Ms)} longer at p50 than async's: starting the threads (each loads and compiles the extraction code) and handing pages over, on a ${formatMs(node.row.wallMs)} run`
  }
  if (node.wallMinMs * (peer.row.pages / node.row.pages) <= peer.row.wallMs) return 'its fastest run matched the peer: run-to-run noise'
  return `${formatMs(node.row.p50Ms)} a page at p50 against the peer's ${formatMs(peer.row.p50Ms)}`
}

/** A verdict on "pool and async" needs both rows. */
function hasBoth(rows: readonly RowResult[]): boolean {
  return rows.some((r) => r.row.strategy === 'async') && rows.some((r) => r.row.strategy === 'pool')
}

/** How close the emulator's jitter alone lets any strategy get to the io ideal, for the pages these rows ran. */
function jitterNote(rows: readonly RowResult[], workload: Workload | undefined): string[] {
  const row = rows[0]
  if (row === undefined || workload === undefined || workload.jitterMs <= 0) return []
  const best = jitteredBestMs(row.row.pages, row.row.concurrency, workload.latencyMs, workload.jitterMs)
  return [`the emulator's ± ${formatMs(workload.jitterMs)} jitter alone allows at most ${fmt(row.row.idealMs / best)} (a scheduler with no overhead, simulated: ${formatMs(best)})`]
}

function workloadPages(workloads: readonly Workload[], name: string): number {
  return workloads.find((w) => w.name === name)?.paths.length ?? Number.NaN
}
