import cliProgress from 'cli-progress'
import type { PageRecord } from '../record.js'
import type { RunStats } from '../run.js'

export interface ProgressOptions {
  /** Print nothing at all. */
  quiet: boolean
  /** Draw a live bar; otherwise print one summary line at the end (logs, CI, pipes). */
  live: boolean
}

export interface Progress {
  start(total: number | undefined): void
  update(record: PageRecord): void
  stop(stats: RunStats): void
  /** Removes the live bar if the run ended without stop() (an error); idempotent. */
  close(): void
}

/**
 * Progress on stderr, so stdout stays pure data. The live bar (cli-progress: redraw
 * throttling, ETA and terminal width handled for us) shows done/total, errors, pages/s
 * and ETA; without a TTY a single line at the end says what happened.
 */
export function createProgress(stream: NodeJS.WritableStream, options: ProgressOptions): Progress {
  if (options.quiet) return { start() {}, update() {}, stop() {}, close() {} }
  let bar: cliProgress.SingleBar | undefined
  let done = 0
  let errors = 0
  let started = 0
  return {
    start(total) {
      started = Date.now()
      if (!options.live) return
      bar = new cliProgress.SingleBar(
        {
          stream: stream as NodeJS.WriteStream,
          format: total === undefined ? '{value} pages | {errors} errors | {speed} pages/s' : '{bar} {value}/{total} | {errors} errors | {speed} pages/s | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      )
      bar.start(total ?? 0, 0, { errors: 0, speed: '0.0' })
    },
    update(record) {
      done += 1
      if (record.status === 'error') errors += 1
      const seconds = (Date.now() - started) / 1000
      bar?.update(done, { errors, speed: seconds > 0 ? (done / seconds).toFixed(1) : '0.0' })
    },
    stop(stats) {
      this.close()
      stream.write(`${summaryLine(stats)}\n`)
    },
    close() {
      bar?.stop()
      bar = undefined
    },
  }
}

export function summaryLine(stats: RunStats): string {
  const seconds = stats.elapsedMs / 1000
  const rate = seconds > 0 ? stats.pages / seconds : 0
  const codes = Object.entries(stats.errors)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ')
  const failed = stats.failed === 0 ? '0 failed' : `${stats.failed} failed (${codes})`
  const extras = [
    stats.skipped > 0 ? `${stats.skipped} already done` : '',
    stats.duplicates > 0 ? `${stats.duplicates} duplicate ${stats.duplicates === 1 ? 'line' : 'lines'} answered from the first` : '',
    stats.rate !== null && stats.rate.throttled > 0 ? `${stats.rate.throttled} of ${stats.rate.calls} model calls throttled, in-flight limit now ${stats.rate.limit}` : '',
    stats.rate?.learned != null ? `quota learned from the server: ${learnedQuota(stats.rate.learned)}` : '',
  ].filter((part) => part !== '')
  return `summarize-urls: ${stats.pages} ${stats.pages === 1 ? 'page' : 'pages'} in ${seconds.toFixed(1)} s (${rate.toFixed(1)} pages/s): ${stats.ok} ok, ${failed}${extras.length === 0 ? '' : `; ${extras.join('; ')}`}`
}

function learnedQuota(learned: { rpm?: number; tpm?: number }): string {
  return [learned.rpm === undefined ? '' : `${learned.rpm} rpm`, learned.tpm === undefined ? '' : `${learned.tpm} tpm`].filter((part) => part !== '').join(', ')
}
