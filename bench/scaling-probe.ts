/**
 * Extraction alone on one warm thread against two, in one process: two ceiling threads
 * (bench/peers/ceiling.ts, the pool's page work without Piscina) are started and warmed, then
 * short phases alternate, A B B A …: in A one thread takes pages, in B both do. Each phase
 * reports its pages/s, its CPU a page (the whole process: threads, V8's helpers) and the
 * cores other programs used meanwhile. On a shared machine rows run minutes apart inherit
 * the machine's drift; phases a few seconds apart share it, so the paired ratio B/A is the
 * 2-against-1 figure. `bench` runs it as its `scaling` probe, `bench/thread-scaling.ts` as a
 * script. Linux only for the CPU figures (/proc).
 */

import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Worker } from 'node:worker_threads'
import type { AnalyzeTask } from '../src/analyze.js'
import { resolveCorpus } from './corpus.js'
import { machineBusyMs } from './machine-load.js'
import { startCeilingWorker, WARM_PASSES } from './peers/ceiling.js'
import { median } from './stats.js'

/** Other programs below this many cores during both phases of a cycle: a quiet cycle. */
export const QUIET_CORES = 0.1

export interface Phase {
  pages: number
  wallMs: number
  cpuMs: number
  /** Cores other programs kept busy during the phase; null without /proc. */
  otherCores: number | null
}

interface Page {
  url: string
  bytes: Buffer
}

/** One page on thread `worker`, its bytes transferred; resolves when the thread answers. */
function analyzer(workers: Worker[]): (index: number, page: Page) => Promise<void> {
  const waiting = new Map<number, () => void>()
  for (const worker of workers) worker.on('message', (reply: { id: number } | 'ready') => reply !== 'ready' && waiting.get(reply.id)?.())
  let ids = 0
  return (index, page) => {
    const id = ids++
    const body = new Uint8Array(page.bytes)
    const task: AnalyzeTask = { url: page.url, body, contentType: 'text/html', headerCharset: undefined, maxChars: 300, maxInputChars: 12_000 }
    return new Promise<void>((resolve) => {
      waiting.set(id, resolve)
      workers[index]?.postMessage({ id, task }, [body.buffer as ArrayBuffer])
    }).finally(() => waiting.delete(id))
  }
}

export interface Cycle {
  one: Phase
  two: Phase
}

export interface ScalingSettings {
  cycles: number
  phaseMs: number
  inFlight: number
  young: number
}

/** One process's measurement: two warm ceiling threads, `cycles` pairs of phases. */
async function measure(settings: ScalingSettings): Promise<Cycle[]> {
  const corpus = resolveCorpus(undefined)
  const pages: Page[] = corpus.pages.map((page) => ({ url: `http://127.0.0.1/${page}`, bytes: readFileSync(join(corpus.dir, page)) }))
  const workers = [startCeilingWorker(settings.young), startCeilingWorker(settings.young)]
  const analyze = analyzer(workers)
  try {
    await Promise.all(workers.map(async (_, i) => {
      for (let pass = 0; pass < WARM_PASSES; pass++) for (const page of pages) await analyze(i, page)
    }))
    let next = 0
    const phase = async (threads: number[]): Promise<Phase> => {
      const until = performance.now() + settings.phaseMs
      const busyBefore = machineBusyMs()
      const cpuBefore = process.cpuUsage()
      const started = performance.now()
      let done = 0
      const lane = async (thread: number): Promise<void> => {
        while (performance.now() < until) {
          await analyze(thread, pages[next++ % pages.length] as Page)
          done++
        }
      }
      await Promise.all(threads.flatMap((thread) => Array.from({ length: settings.inFlight }, () => lane(thread))))
      const wallMs = performance.now() - started
      const cpu = process.cpuUsage(cpuBefore)
      const cpuMs = (cpu.user + cpu.system) / 1000
      const busyAfter = machineBusyMs()
      return { pages: done, wallMs, cpuMs, otherCores: busyBefore === undefined || busyAfter === undefined ? null : (busyAfter - busyBefore - cpuMs) / wallMs }
    }
    const cycles: Cycle[] = []
    for (let cycle = 0; cycle < settings.cycles; cycle++) {
      // A B, then B A: a phase order never favours one side; A uses each thread in turn.
      const one = cycle % 2 === 0 ? await phase([0]) : undefined
      const two = await phase([0, 1])
      cycles.push({ one: one ?? (await phase([1])), two })
    }
    return cycles
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}

export function measureInChild(settings: ScalingSettings): Promise<Cycle[]> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), [CHILD_FLAG], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    child.once('message', (cycles) => resolve(cycles as Cycle[]))
    child.once('exit', (code) => reject(new Error(`thread-scaling child exited with code ${String(code)} before answering`)))
    child.send(settings)
  })
}


const CHILD_FLAG = '--scaling-child'

export const pagesPerSec = (p: Phase): number => (1000 * p.pages) / p.wallMs
export const cpuPerPage = (p: Phase): number => p.cpuMs / Math.max(1, p.pages)
/** Cores the whole process kept busy in a phase: its threads, V8's helpers, the main thread handing pages over. */
export const processCores = (p: Phase): number => p.cpuMs / p.wallMs

/** Cycles whose phases both ran while other programs used under `QUIET_CORES`. */
export function quietCycles(cycles: readonly Cycle[]): Cycle[] {
  return cycles.filter((r) => r.one.otherCores !== null && r.two.otherCores !== null && r.one.otherCores < QUIET_CORES && r.two.otherCores < QUIET_CORES)
}

/**
 * The paired figures of some cycles: the median of each cycle's 2-against-1 ratio, and the
 * most the cores allow it: `cores` over what one thread's phase kept busy, over the rise of
 * CPU a page with two threads (both medians of the cycles).
 */
export function scalingFigures(cycles: readonly Cycle[], cores: number): { ratio: number; min: number; max: number; oneCores: number; cpuRatio: number; bound: number } {
  const ratios = cycles.map((r) => pagesPerSec(r.two) / pagesPerSec(r.one))
  const oneCores = median(cycles.map((r) => processCores(r.one)))
  const cpuRatio = median(cycles.map((r) => cpuPerPage(r.two) / cpuPerPage(r.one)))
  return { ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), oneCores, cpuRatio, bound: cores / oneCores / cpuRatio }
}

if (process.argv.includes(CHILD_FLAG)) {
  process.once('message', (settings: ScalingSettings) => {
    void measure(settings).then((cycles) => process.send?.(cycles, undefined, {}, () => process.exit(0)))
  })
}
