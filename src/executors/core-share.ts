import { readFileSync } from 'node:fs'

/** Of the two, the one this platform has. */
type Source = 'schedstat' | 'cpu-usage'

/**
 * How much of a core the main thread gets while it does page work: time on a CPU over time
 * on a CPU plus time waiting for one, the recent pages weighted most. On Linux it reads the
 * thread's own scheduler statistics (`/proc/thread-self/schedstat`: nanoseconds run, then
 * nanoseconds spent runnable but waiting for a CPU), which other programs taking the cores
 * show directly. Elsewhere it falls back to process CPU time over wall time, which V8's
 * helper threads inflate (1.6 on a quiet machine here), so it only catches heavy contention.
 */
export class CoreShare {
  readonly #decay: number
  readonly #source: Source
  #on = 0
  #total = 0
  #mark: { on: number; total: number } | undefined

  /** `decay`: weight of the earlier pages at each new one. */
  constructor(decay: number) {
    this.#decay = decay
    this.#source = readSchedstat() === undefined ? 'cpu-usage' : 'schedstat'
  }

  /** Before a page's work. */
  start(): void {
    this.#mark = this.#read()
  }

  /** After it: adds the page to the share. */
  end(): void {
    const mark = this.#mark
    const now = this.#read()
    if (mark === undefined || now === undefined) return
    this.#on = this.#on * this.#decay + (now.on - mark.on)
    this.#total = this.#total * this.#decay + (now.total - mark.total)
  }

  /** The share (0 to about 1; more with the fallback); undefined before a page was measured. */
  get share(): number | undefined {
    return this.#total > 0 ? this.#on / this.#total : undefined
  }

  #read(): { on: number; total: number } | undefined {
    if (this.#source === 'schedstat') {
      const stat = readSchedstat()
      return stat === undefined ? undefined : { on: stat.runNs, total: stat.runNs + stat.waitNs }
    }
    const cpu = process.cpuUsage()
    return { on: (cpu.user + cpu.system) * 1000, total: Number(process.hrtime.bigint()) }
  }
}

/** The calling thread's time on a CPU and waiting for one, in ns; undefined off Linux. */
export function readSchedstat(): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')
    const runNs = Number(run)
    const waitNs = Number(wait)
    return Number.isFinite(runNs) && Number.isFinite(waitNs) ? { runNs, waitNs } : undefined
  } catch {
    return undefined
  }
}
