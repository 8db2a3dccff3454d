/**
 * Issue 17's scenarios in simulated time: the run's real rate controller, retry policy and
 * call path (`callWithPolicy`) against the emulator's own quota bucket and fault dice, on a
 * virtual clock. A 200-page storm with 60 s windows takes a few hundred milliseconds and
 * gives the same figures on a busy machine as on a quiet one, so the controller can be tuned
 * and tested at the issue's full scale; `bench:resilience` measures the same scenarios
 * against the real emulator over HTTP, where the machine's load adds its noise.
 *
 * The scenarios and their targets are in rate-scenarios.ts (`npm run bench:rate-sim -- [--seeds 20] [--only storm] [--detail]`).
 */
import { callWithPolicy } from '../src/control/call.js'
import { MemoryBoard, type PeerBoard } from '../src/control/peers.js'
import { RateController, rateConclusion, type RateStats } from '../src/control/rate.js'
import { DEFAULT_RETRY_POLICY } from '../src/control/retry.js'
import type { ErrorVerdict } from '../src/control/verdict.js'
import { ERROR_CODES, PageError } from '../src/errors.js'
import { rollFault } from '../src/emulator/faults.js'
import { quotaBucket, type TokenBucket } from '../src/emulator/quota.js'
import { seeded } from '../src/emulator/seeded.js'

/** A virtual clock: `setTimeout` fires in time order, as fast as the promises it wakes settle. */
class VirtualClock {
  now = 0
  #seq = 0
  readonly #timers = new Map<number, { at: number; seq: number; fn: () => void }>()

  setTimeout = (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): unknown => {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.now + Math.max(0, ms ?? 0), seq: id, fn: () => fn(...args) })
    return { id, unref: () => undefined, ref: () => undefined, hasRef: () => true, [Symbol.toPrimitive]: () => id }
  }

  clearTimeout = (handle: unknown): void => {
    if (handle !== undefined && handle !== null) this.#timers.delete((handle as { id: number }).id)
  }

  /** Runs timers in order until `done` holds or none is left; throws past `limitMs` of virtual time. */
  async run(done: () => boolean, limitMs: number): Promise<void> {
    for (;;) {
      await settle()
      if (done()) return
      let next: { at: number; seq: number; fn: () => void } | undefined
      let nextId = 0
      for (const [id, timer] of this.#timers) {
        if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) {
          next = timer
          nextId = id
        }
      }
      if (next === undefined) throw new Error('simulation stalled: nothing left to wake')
      if (next.at > limitMs) throw new Error(`simulation ran past ${limitMs} ms`)
      this.#timers.delete(nextId)
      this.now = Math.max(this.now, next.at)
      next.fn()
    }
  }
}

/** Lets every promise chain that can move, move (setImmediate runs after the microtask queue is empty). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

export interface SimServer {
  /** Requests per minute in force from `atMs` on (the first at 0); none: no quota. */
  rpm?: Array<{ atMs: number; rpm: number }>
  throttleRate?: number
  errorRate?: number
  resetRate?: number
  latencyMs: number
  jitterMs?: number
  seed: number
}

export interface SimRun {
  pages: number
  concurrency: number
  /** When the run starts, ms. */
  startMs?: number
  /** Each page's time before its model call (fetching, extracting), ms. */
  prepareMs?: number
  /** Posts what it learns on the peer board the simulation's runs on one machine share (peers.ts). */
  onThisMachine?: boolean
}

export interface SimResult {
  runs: Array<{ ok: number; pages: number; wallMs: number; stats: RateStats; conclusion: string }>
  /** Time of every request the server received, ms, in order. */
  arrivals: number[]
  /** The quota in force at a time, per minute. */
  rpmAt: (ms: number) => number | undefined
}

const THROTTLE: ErrorVerdict = { code: ERROR_CODES.THROTTLED, message: 'throttled', retryable: true, fatal: false }
const FAILED: ErrorVerdict = { code: ERROR_CODES.MODEL_ERROR, message: 'failed', retryable: true, fatal: false }

/** Simulates `runs` (each its own rate controller, as two processes) against one server. */
export async function simulate(server: SimServer, runs: SimRun[], limitMs = 3_600_000): Promise<SimResult> {
  const clock = new VirtualClock()
  const saved = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout }
  const sim = simulatedServer(server, clock)
  const jitter = seeded(server.seed + 1)
  globalThis.setTimeout = clock.setTimeout as unknown as typeof globalThis.setTimeout
  globalThis.clearTimeout = clock.clearTimeout as unknown as typeof globalThis.clearTimeout
  try {
    const results: SimResult['runs'] = []
    let finished = 0
    const board = new MemoryBoard(() => clock.now)
    const one = async (run: SimRun, index: number): Promise<void> => {
      results[index] = await simulateRun(run, clock, sim.request, jitter, run.onThisMachine === true ? board : undefined)
      finished += 1
    }
    const all = Promise.all(runs.map(one))
    await clock.run(() => finished === runs.length, limitMs)
    await all
    return { runs: results, arrivals: sim.arrivals, rpmAt: sim.rpmAt }
  } finally {
    globalThis.setTimeout = saved.setTimeout
    globalThis.clearTimeout = saved.clearTimeout
  }
}

type SimReply = { ok: true; value: null } | { ok: false; verdict: ErrorVerdict }

function waitOn(clock: VirtualClock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(() => resolve(), ms))
}

/** The server in virtual time: its quota (changing at the times given) and its fault dice. */
function simulatedServer(server: SimServer, clock: VirtualClock): { request: () => Promise<SimReply>; arrivals: number[]; rpmAt: SimResult['rpmAt'] } {
  const changes = [...(server.rpm ?? [])].sort((a, b) => a.atMs - b.atMs)
  let bucket: TokenBucket | undefined
  let applied = 0
  const rpmAt = (ms: number): number | undefined => {
    let rpm: number | undefined
    for (const change of changes) if (change.atMs <= ms) rpm = change.rpm
    return rpm
  }
  const arrivals: number[] = []
  const faults = {
    random: seeded(server.seed),
    throttleRate: server.throttleRate ?? 0,
    errorRate: server.errorRate ?? 0,
    resetRate: server.resetRate ?? 0,
    stallRate: 0,
    latencyMs: server.latencyMs,
    jitterMs: server.jitterMs ?? 0,
  }
  /** One request: the emulator's order, quota first, then the fault dice. */
  const request = async (): Promise<SimReply> => {
    const now = clock.now
    arrivals.push(now)
    while (applied < changes.length && changes[applied]!.atMs <= now) {
      const change = changes[applied++]!
      if (bucket === undefined) bucket = quotaBucket(change.rpm, 1, change.atMs)
      else bucket.setRate(change.rpm, Math.max(1, change.rpm / 60), change.atMs)
    }
    if (bucket !== undefined && !bucket.admits(1, now)) {
      await waitOn(clock, 1)
      return { ok: false, verdict: THROTTLE }
    }
    bucket?.take(1, now)
    return answer(clock, rollFault(faults))
  }
  return { request, arrivals, rpmAt }
}

/** What the fault dice chose, after the time it takes. */
async function answer(clock: VirtualClock, fault: ReturnType<typeof rollFault>): Promise<SimReply> {
  switch (fault.kind) {
    case 'throttled':
      await waitOn(clock, 1)
      return { ok: false, verdict: THROTTLE }
    case 'reset':
    case 'failed':
      await waitOn(clock, fault.delayMs)
      return { ok: false, verdict: FAILED }
    case 'stalled':
      throw new Error('no stalls in the simulation')
    case 'none':
      await waitOn(clock, fault.delayMs)
      return { ok: true, value: null }
  }
}

/** One run: its own rate controller, `concurrency` workers calling the server for its pages. */
async function simulateRun(run: SimRun, clock: VirtualClock, request: () => Promise<SimReply>, jitter: () => number, peers: PeerBoard | undefined): Promise<SimResult['runs'][number]> {
  if ((run.startMs ?? 0) > 0) await waitOn(clock, run.startMs!)
  const started = clock.now
  const gate = new RateController({ maxConcurrency: run.concurrency, now: () => clock.now, peers })
  let next = 0
  let ok = 0
  const worker = async (): Promise<void> => {
    while (next < run.pages) {
      next += 1
      if ((run.prepareMs ?? 0) > 0) await waitOn(clock, run.prepareMs!)
      try {
        await callWithPolicy(request, () => FAILED, { retry: DEFAULT_RETRY_POLICY, gate, random: jitter })
        ok += 1
      } catch (error) {
        if (!(error instanceof PageError)) throw error
      }
    }
  }
  await Promise.all(Array.from({ length: run.concurrency }, worker))
  gate.close()
  const stats = gate.stats()
  return { ok, pages: run.pages, wallMs: clock.now - started, stats, conclusion: rateConclusion(stats) }
}

/** The most arrivals in any window of `windowMs`. */
export function mostIn(arrivals: readonly number[], windowMs: number): number {
  let most = 0
  let from = 0
  for (let to = 0; to < arrivals.length; to++) {
    while (arrivals[to]! - arrivals[from]! >= windowMs) from++
    most = Math.max(most, to - from + 1)
  }
  return most
}

/** The worst share of the quota in force over any 60 s window that starts at an arrival. */
export function worstShareOfQuota(result: SimResult, windowMs = 60_000): number {
  const { arrivals } = result
  let worst = 0
  let to = 0
  for (let from = 0; from < arrivals.length; from++) {
    const start = arrivals[from]!
    while (to < arrivals.length && arrivals[to]! < start + windowMs) to++
    // Allowed in the window: the quota in force over it, integrated (a change inside the window counts in part).
    let allowed = 0
    for (let t = start; t < start + windowMs; t += 100) allowed += ((result.rpmAt(t) ?? Infinity) / 60_000) * 100
    worst = Math.max(worst, (to - from) / allowed)
  }
  return worst
}
