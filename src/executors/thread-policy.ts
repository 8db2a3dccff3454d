import { performance } from 'node:perf_hooks'
import { CoreShare } from './core-share.js'
import { MainThreadLoad } from './main-thread-load.js'

/**
 * When the pool's threads start and when the main thread takes a page itself: the thresholds,
 * each with the measurement that chose it (two vCPUs of an AMD EPYC, Node 20; `npm run bench
 * -- --workload cpu,mixed` re-measures them). All optional; THREAD_POLICY_DEFAULTS fills them.
 */
export interface ThreadPolicyOptions {
  /**
   * The main thread's busy share of a window (event-loop utilization) past which threads may
   * start, and below which, once they run, it may take a page itself. Default 0.5.
   */
  busyThreshold?: number
  /**
   * Of a window, the share of page work on the main thread past which threads start. Below
   * it the main thread is busy with sockets and model calls, which threads cannot take: the
   * start-up burst of 50 light pages (cold code) reached 0.2–0.35 and started two threads
   * for nothing (2 isolates, 50 MB and 0.2 s of CPU on 200 pages); corpus pages keep it at
   * 0.8 and more. Default 0.5.
   */
  workThreshold?: number
  /** Pages run on the main thread before its load is read: the first pages of a run are cold and slow. Default 4. */
  minInlinePages?: number
  /**
   * Page work ahead (CPU ms: the mean so far times the pages still ahead) past which threads
   * start, when the run knows how many pages are ahead. Starting two threads costs about
   * 0.35–0.5 s of wall time and 0.7 s of CPU (isolates, module loading, cold code); warm, two
   * threads extract 1.76–1.96× faster than one (900 corpus pages, issue 19), started inside
   * the run 1.25–1.32×, so on a short run they save about a fifth of the work ahead. The mean
   * is read after a few pages, which run cold at 1.5–2× their warm cost, hence 3 s. The
   * bench's 60-page `cpu --quick` (0.8 s of work) ran 25–60% slower with threads. Default 3000.
   */
  paybackMs?: number
  /**
   * Share of a core the main thread must get for its page work (CoreShare: time on a CPU over
   * time on one plus time waiting for one) before threads start. When the main thread cannot
   * get a core, threads cannot either: on a machine whose other programs kept a core busy,
   * two threads ran the `cpu` workload 1.75× slower than none, and `mixed` at 128 in flight
   * 1.3–1.9× slower than `async`. Measured over the first 40 corpus pages: 0.72–0.91 on a
   * quiet machine, 0.20–0.29 with one spinning process, 0.20–0.52 with two. Default 0.6.
   */
  minCoreShare?: number
  /** Weight of the earlier pages in the core share at each page: about the last ten count. Default 0.9. */
  shareDecay?: number
}

export const THREAD_POLICY_DEFAULTS: Required<ThreadPolicyOptions> = {
  busyThreshold: 0.5,
  workThreshold: 0.5,
  minInlinePages: 4,
  paybackMs: 3 * 1000, // 3 s of page work ahead
  minCoreShare: 0.6,
  shareDecay: 0.9,
}

/** The load signals as the decision read them: for a test, a log line, a reader. */
export interface ThreadSignals {
  /** Busy share of the main thread's last window; undefined until one has closed. */
  busy: number | undefined
  /** Page-work share of that window. */
  work: number | undefined
  /** Share of a core the main thread got for its page work; undefined before a page was measured. */
  coreShare: number | undefined
  /** Page work ahead, in CPU ms; undefined when the run cannot tell (stdin). */
  workAheadMs: number | undefined
  /** Pages the main thread has run before the threads started. */
  inlinePages: number
}

/**
 * The pool's thread policy: small load signals (the main thread's busy and page-work shares,
 * the core share it gets, the page work ahead) feeding one decision, apart from the code that
 * dispatches pages (pool.ts), in the manner of crawlee's AutoscaledPool and its SystemStatus.
 */
export class ThreadPolicy {
  readonly #options: Required<ThreadPolicyOptions>
  readonly #load = new MainThreadLoad()
  readonly #coreShare: CoreShare
  readonly #pagesAhead: (() => number | undefined) | undefined
  #inlinePages = 0
  /** CPU time of the page work done on the main thread so far, in ms, over `#measuredPages` pages. */
  #inlineWorkMs = 0
  #measuredPages = 0

  /** `pagesAhead`: pages of the run not yet analyzed, when the run knows its input's length. */
  constructor(options: ThreadPolicyOptions = {}, pagesAhead?: () => number | undefined) {
    this.#options = { ...THREAD_POLICY_DEFAULTS, ...withoutUndefined(options) }
    this.#coreShare = new CoreShare(this.#options.shareDecay)
    this.#pagesAhead = pagesAhead
  }

  /** A page came to the pool before its threads started (it runs on the main thread). */
  pageArrived(): void {
    this.#inlinePages += 1
  }

  /** Measures one page's synchronous work on the main thread: call before it, and the returned function after. */
  beginWork(): () => void {
    const started = performance.now()
    const cpu = process.cpuUsage()
    this.#coreShare.start()
    return () => {
      this.#load.addWork(performance.now() - started)
      // In CPU time, which a machine busy with other programs does not stretch as it does wall time.
      const used = process.cpuUsage(cpu)
      this.#inlineWorkMs += (used.user + used.system) / 1000
      this.#measuredPages += 1
      this.#coreShare.end()
    }
  }

  signals(): ThreadSignals {
    const ahead = this.#pagesAhead?.()
    const mean = this.#measuredPages > 0 ? this.#inlineWorkMs / this.#measuredPages : undefined
    return {
      busy: this.#load.busy(),
      work: this.#load.work(),
      coreShare: this.#coreShare.share,
      workAheadMs: ahead === undefined ? undefined : mean === undefined ? 0 : ahead * mean,
      inlinePages: this.#inlinePages,
    }
  }

  /**
   * The one decision: start the threads now. Yes once the main thread is busy with page work
   * (not its sockets), the work ahead repays the threads' start (always, when the run cannot
   * tell), and the main thread gets a core (else other programs have the cores threads need).
   */
  shouldStart(): boolean {
    const o = this.#options
    const s = this.signals()
    return (
      s.inlinePages > o.minInlinePages &&
      s.busy !== undefined &&
      s.busy >= o.busyThreshold &&
      (s.work ?? 0) >= o.workThreshold &&
      (s.workAheadMs === undefined || s.workAheadMs >= o.paybackMs) &&
      (s.coreShare ?? 0) >= o.minCoreShare
    )
  }

  /**
   * Once threads run: whether the main thread takes a page itself. Only with a core to spare
   * (`spareCore`: fewer threads than cores, or none loaded yet), a queue that holds a page for
   * every thread already (this one would wait at least a page's time), and an idle main thread.
   */
  mainTakes(spareCore: boolean, waiting: number, threads: number): boolean {
    const busy = this.#load.busy()
    return spareCore && waiting >= threads && busy !== undefined && busy < this.#options.busyThreshold
  }

  close(): void {
    this.#coreShare.close()
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
