import { closeSync, openSync, readSync } from 'node:fs'

/** The calling thread's scheduler statistics on Linux: nanoseconds on a CPU, nanoseconds runnable but waiting for one, time slices. */
export const SCHEDSTAT_PATH = '/proc/thread-self/schedstat'

/**
 * The scheduler statistics of the thread that opened the file, read again through the one
 * open file: a read costs about 1 µs here where opening the file each time costs 11, which
 * made the pool's page work about 35 µs a page slower than `async` on light pages.
 */
export class Schedstat {
  readonly #fd: number
  readonly #buffer = Buffer.alloc(128)
  #open = true

  private constructor(fd: number) {
    this.#fd = fd
  }

  /**
   * The file, if it gives figures. A kernel that keeps no statistics still has the file and
   * prints `0 0 0`: the opening thread has run, so a zero run time means no statistics, and
   * with them the core share would stay unknown and the threads would never start.
   */
  static open(path: string = SCHEDSTAT_PATH): Schedstat | undefined {
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch {
      return undefined
    }
    const file = new Schedstat(fd)
    if ((file.read()?.runNs ?? 0) > 0) return file
    file.close()
    return undefined
  }

  /** The thread's time on a CPU and waiting for one, in ns; undefined if the file cannot be read. */
  read(): { runNs: number; waitNs: number } | undefined {
    try {
      const length = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, 0)
      const [run, wait] = this.#buffer.toString('latin1', 0, length).split(' ')
      const runNs = Number(run)
      const waitNs = Number(wait)
      return Number.isFinite(runNs) && Number.isFinite(waitNs) ? { runNs, waitNs } : undefined
    } catch {
      return undefined
    }
  }

  close(): void {
    if (this.#open) closeSync(this.#fd)
    this.#open = false
  }
}

/**
 * How much of a core the main thread gets while it does page work: time on a CPU over time
 * on a CPU plus time waiting for one, the recent pages weighted most. On Linux it reads the
 * thread's own scheduler statistics (Schedstat), which other programs taking the cores show
 * directly. Elsewhere, or when the kernel keeps none, it falls back to process CPU time over
 * wall time, which V8's helper threads inflate (1.6 on a quiet machine here), so it only
 * catches heavy contention.
 */
export class CoreShare {
  readonly #decay: number
  readonly #schedstat: Schedstat | undefined
  #on = 0
  #total = 0
  #mark: { on: number; total: number } | undefined

  /** `decay`: weight of the earlier pages at each new one. `schedstat`: the statistics file (tests pass another). */
  constructor(decay: number, schedstat: string = SCHEDSTAT_PATH) {
    this.#decay = decay
    this.#schedstat = Schedstat.open(schedstat)
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

  /** Lets go of the statistics file. */
  close(): void {
    this.#schedstat?.close()
  }

  #read(): { on: number; total: number } | undefined {
    if (this.#schedstat !== undefined) {
      const stat = this.#schedstat.read()
      return stat === undefined ? undefined : { on: stat.runNs, total: stat.runNs + stat.waitNs }
    }
    const cpu = process.cpuUsage()
    return { on: (cpu.user + cpu.system) * 1000, total: Number(process.hrtime.bigint()) }
  }
}
