import { performance } from 'node:perf_hooks'
import type { PageRecord } from '../record.js'
import { rateConclusion } from '../control/rate.js'
import { savingsLine } from '../cache/savings.js'
import type { RunStats } from '../run.js'
import { LiveLine, formatEta } from './live-line.js'

export interface ProgressOptions {
  /** Print nothing at all. */
  quiet: boolean
  /** Draw a live bar; otherwise print one summary line at the end (logs, CI, pipes). */
  live: boolean
  /**
   * The `performance.now()` the summary line's time counts from; default when this is
   * called. The CLI passes 0: the process's start (`performance.timeOrigin`), so start-up
   * and module loading are in it and the line agrees with `time` (it said 0.2 s for a run
   * `time` measured at 0.56 s while it counted from the job's start).
   */
  since?: number
}

export interface Progress {
  start(total: number | undefined): void
  update(record: PageRecord): void
  stop(stats: RunStats): void
  /** Removes the live bar if the run ended without stop() (an error); idempotent. */
  close(): void
}

/**
 * Progress on stderr, so stdout stays pure data. The live line (live-line.ts) shows
 * done/total, errors, pages/s and ETA; without a TTY a single line at the end says what
 * happened.
 *
 * The summary line's time is the wall time from `options.since` (the CLI's: the process's
 * start, so the credential probe, module loading, the threads starting and stopping are
 * all in it), so it agrees with what `time` says; the run's own pages/s is what the live
 * bar shows.
 */
export function createProgress(stream: NodeJS.WritableStream, options: ProgressOptions): Progress {
  if (options.quiet) return { start() {}, update() {}, stop() {}, close() {} }
  const created = options.since ?? performance.now()
  let bar: LiveLine | undefined
  let done = 0
  let errors = 0
  let started = 0
  const speed = (): string => {
    const seconds = (Date.now() - started) / 1000
    return seconds > 0 ? (done / seconds).toFixed(1) : '0.0'
  }
  return {
    start(total) {
      started = Date.now()
      if (!options.live) return
      bar = new LiveLine(stream, {
        fps: 5,
        text: ({ value, total: of, etaSeconds }) => (of === undefined ? `${value} pages | ${errors} errors | ${speed()} pages/s` : `${value}/${of} | ${errors} errors | ${speed()} pages/s | ETA ${formatEta(etaSeconds)}`),
      })
      bar.start(total, done)
    },
    update(record) {
      done += 1
      if (record.status === 'error') errors += 1
      bar?.update(done)
    },
    stop(stats) {
      this.close()
      stream.write(`${summaryLine(stats, performance.now() - created)}\n`)
    },
    close() {
      bar?.stop()
      bar = undefined
    },
  }
}

/** `wallMs`: the time the line reports, default the run's own (`stats.elapsedMs`). */
export function summaryLine(stats: RunStats, wallMs = stats.elapsedMs): string {
  const seconds = wallMs / 1000
  const rate = seconds > 0 ? stats.pages / seconds : 0
  const codes = Object.entries(stats.errors)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  const failed = stats.failed === 0 ? '0 failed' : `${stats.failed} failed (${codes})`
  const extras = [
    stats.skipped > 0 ? `${stats.skipped} already done` : '',
    stats.duplicates > 0 ? `${stats.duplicates} duplicate ${stats.duplicates === 1 ? 'line' : 'lines'} answered from the first` : '',
    stats.rate === null ? '' : rateConclusion(stats.rate),
    stats.rate?.serverQuota != null ? `quota learned from the server: ${learnedQuota(stats.rate.serverQuota)}` : '',
    stats.cache === null ? '' : savingsLine({ ...stats.cache, ...stats.cache.saved, pages: stats.pages }),
    stats.cache !== null && stats.cache.damaged > 0 ? `${stats.cache.damaged} damaged cache ${stats.cache.damaged === 1 ? 'entry' : 'entries'} removed (read as misses)` : '',
  ].filter((part) => part !== '')
  return `summarize-urls: ${stats.pages} ${stats.pages === 1 ? 'page' : 'pages'} in ${seconds.toFixed(1)} s (${rate.toFixed(1)} pages/s): ${stats.ok} ok, ${failed}${extras.length === 0 ? '' : `; ${extras.join('; ')}`}`
}

function learnedQuota(learned: { rpm?: number; tpm?: number }): string {
  return [learned.rpm === undefined ? '' : `${learned.rpm} rpm`, learned.tpm === undefined ? '' : `${learned.tpm} tpm`].filter((part) => part !== '').join(', ')
}
