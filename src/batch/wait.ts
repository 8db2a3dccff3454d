import { sleep } from '../control/retry.js'
import { LiveLine } from '../output/live-line.js'
import type { AwsClients } from './aws.js'
import type { JobFile } from './job-file.js'
import { advance } from './submit.js'

/** Where the run stands, summed over its jobs. */
export interface RunProgress {
  /** Jobs by status (`queued` for jobs not yet submitted). */
  states: Record<string, number>
  processed: number
  total: number
  /** Seconds until every record is processed, at the rate seen so far; undefined until there is a rate. */
  etaSeconds: number | undefined
  ended: boolean
}

export function progressOf(job: JobFile, rate?: { since: number; processed: number }): RunProgress {
  const states: Record<string, number> = {}
  let processed = 0
  for (const entry of job.jobs) {
    const state = entry.phase === 'queued' ? 'queued' : (entry.status ?? 'Submitted')
    states[state] = (states[state] ?? 0) + 1
    // An ended job counts what it processed: a failed one none (the status table's row), not its records.
    processed += entry.phase === 'ended' && entry.status === 'Completed' ? entry.records : Math.min(entry.processed ?? 0, entry.records)
  }
  const total = job.records
  let etaSeconds: number | undefined
  if (rate !== undefined && processed > rate.processed) {
    const perSecond = (processed - rate.processed) / ((Date.now() - rate.since) / 1000)
    etaSeconds = Math.round((total - processed) / perSecond)
  }
  return { states, processed, total, etaSeconds, ended: job.jobs.every((entry) => entry.phase === 'ended') }
}

export function progressLine(p: RunProgress): string {
  const states = Object.entries(p.states)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ')
  const eta = p.etaSeconds === undefined ? '' : `, ETA ${formatSeconds(p.etaSeconds)}`
  return `jobs: ${states}; records ${p.processed}/${p.total}${eta}`
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds} s`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

export interface WaitOptions {
  /** First pause between polls; it grows by half each time, up to ten times this. */
  pollIntervalMs: number
  stderr: NodeJS.WritableStream
  live: boolean
  quiet: boolean
  signal?: AbortSignal | undefined
}

/**
 * Polls until every job has ended, submitting queued jobs as slots free up (advance). Shows
 * a progress bar on a TTY, and a line per change elsewhere. Killed at any moment, it is
 * simply run again: all its state is in the job file.
 */
export async function waitForJobs(job: JobFile, jobFilePath: string, clients: AwsClients, options: WaitOptions): Promise<RunProgress> {
  let delay = options.pollIntervalMs
  const started = { since: Date.now(), processed: progressOf(job).processed }
  let bar: LiveLine | undefined
  let text = ''
  let lastLine = ''
  try {
    for (;;) {
      await advance(job, jobFilePath, clients, options.signal)
      const progress = progressOf(job, started)
      if (!options.quiet) {
        if (options.live) {
          // The batch's own ETA (from the jobs' progress), not the line's pace between polls.
          text = `records | ${progressLine(progress).split(';')[0]} | ETA ${progress.etaSeconds === undefined ? '?' : formatSeconds(progress.etaSeconds)}`
          bar ??= new LiveLine(options.stderr, { fps: 2, text: ({ value, total }) => `${value}/${total ?? '?'} ${text}` })
          if (!bar.active) bar.start(progress.total, progress.processed)
          else bar.update(progress.processed)
        } else {
          const line = progressLine(progress)
          if (line !== lastLine) options.stderr.write(`${line}\n`)
          lastLine = line
        }
      }
      if (progress.ended) return progress
      await sleep(delay, options.signal)
      delay = Math.min(delay * 1.5, options.pollIntervalMs * 10)
    }
  } finally {
    bar?.stop()
  }
}
