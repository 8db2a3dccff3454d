import type { Readable, Writable } from 'node:stream'
import { openCache } from '../cache/open.js'
import { UsageError } from '../errors.js'
import type { ColumnInfo, InputReader } from '../input/item.js'
import { checkColumns } from '../input/check-columns.js'
import { primed } from '../input/primed.js'
import { resolveOptions, type OutputFormat, type ResolvedOptions, type SummarizeOptions } from '../options.js'
import { compactJournal, removeStaleCompactions } from '../output/journal-compact.js'
import type { PageRecord } from '../record.js'
import { runSummaries, type RunStats } from '../run.js'
import { resolveSummarizer } from '../summarizers/resolve.js'
import { openJobInput, refuseOverwritingInput, type JobInput } from '../input/job-input.js'
import { fileToLock, lockOut, processRunning, type LockHolder, type OutLock } from './out-lock.js'
import { openOutputTarget, writesJournal } from './output-target.js'
import { checkResumable, orphansPath, Resume } from './resume.js'

/** Where a job writes its records. */
export interface JobOutput {
  /**
   * The file to write. A JSONL regular file is written as a journal: each record is appended
   * as it finishes, and the file is put in input order at the end. Default: `stdout`.
   */
  out?: string | undefined
  /** Default `'jsonl'`. */
  format?: OutputFormat | undefined
  /** Keep the ok records already in `out` (a JSONL file) and do only the rest. Default `false`. */
  resume?: boolean | undefined
}

export interface JobHooks {
  /** Read when the input is `-`. Default `process.stdin`. */
  stdin?: Readable | undefined
  /** Where records go without `out`. Default `process.stdout`. */
  stdout?: Writable | undefined
  /** Cancels everything at once: pages in flight end as ABORTED records (a second Ctrl-C). */
  signal?: AbortSignal | undefined
  /** Stops starting new pages; pages in flight may finish for a while (a first Ctrl-C, SIGTERM). */
  stopSignal?: AbortSignal | undefined
  /**
   * Called once nothing can refuse the job any more (options, input, output, credentials),
   * just before the first page: the place to say which summarizer runs.
   */
  onStart?: ((start: JobStart) => void | Promise<void>) | undefined
  /** Called as each record is written. */
  onRecord?: ((record: PageRecord) => void) | undefined
  /** Told, once, when a URL list's first line reads like a table (a one-line hint for the user). */
  onHint?: ((hint: string) => void) | undefined
}

export interface JobStart {
  /** Which summarizer runs, and why, as a line for the user. */
  summarizer: string
  /** With `resume`: what the file already held (`done`: URLs with an ok record, the orphans file's included). */
  resumed: { done: number; tornBytes: number } | undefined
  /** The run whose lock on `out` this job took over: it was gone (killed, crashed) without releasing it. */
  lockTakenOver: LockHolder | undefined
}

/** `ok`: every page ok; `pages-failed`: at least one error record; `interrupted`: a signal stopped the job. */
export type JobOutcome = 'ok' | 'pages-failed' | 'interrupted'

export interface JobResult {
  outcome: JobOutcome
  stats: RunStats
  /** The records went to a JSONL `out` file: a later job with `resume` can do the rest. */
  resumable: boolean
  /**
   * After a resumed job: the ok records of URLs the input no longer has, kept in `file`
   * (`<out>.orphaned.jsonl`) rather than dropped. Undefined when there are none.
   */
  orphaned: { records: number; file: string } | undefined
}

/**
 * The whole job: read the URL list, summarize every page, write the records to `out` (or
 * stdout), and put a JSONL file in input order at the end. Everything that can refuse the
 * job is checked before `out` is opened, so a bad option or missing credentials never
 * truncates an earlier output file; those refusals throw a `UsageError`, a failing output an
 * `OutputError`. Pages that fail are records, and make the outcome `pages-failed`.
 */
export async function summarizeFile(input: JobInput, output: JobOutput, options: SummarizeOptions = {}, hooks: JobHooks = {}): Promise<JobResult> {
  const resolved = resolveOptions(options)
  const { out, format = 'jsonl', resume = false } = output
  if (resume) checkResumable(out, format)
  const list = await openJobInput(input, hooks.stdin, { format: resolved.inputFormat, urlColumn: resolved.urlColumn, onHint: hooks.onHint })
  // Closed on every path, refusals and failures included: a list file left to the garbage
  // collector is a warning today and an error in a later Node.
  try {
    const columns = checkColumns(typeof input === 'string' ? (input === '-' ? 'stdin' : input) : 'the input', list.reader.columns, resolved.template, resolved.keep)
    const reader = await primed(list.reader)
    const job = await openJob(input, out, format, resume, resolved, hooks.stdout ?? process.stdout, columns)
    try {
      const done = job.resumed
      return await runJob(reader, list.count(done === undefined ? undefined : (item) => done.isDone(item)), job, out, format, resolved, hooks)
    } finally {
      job.lock?.release()
    }
  } finally {
    list.discard()
  }
}

type OpenJob = Awaited<ReturnType<typeof openJob>>

async function runJob(list: InputReader, inputLines: () => number | undefined, job: OpenJob, out: string | undefined, format: OutputFormat, resolved: ResolvedOptions, hooks: JobHooks): Promise<JobResult> {
  const { summarizer, journal, resumed, target, lock, cache } = job
  let stats: RunStats
  try {
    await hooks.onStart?.({
      summarizer: summarizer.notice,
      resumed: resumed === undefined ? undefined : { done: resumed.done, tornBytes: resumed.tornBytes },
      lockTakenOver: lock?.tookOver,
    })
    // A journal takes records as they finish; it is put in order below.
    stats = await runSummaries(list.items(), target.sink, journal ? { ...resolved, unordered: true } : resolved, summarizer.config, {
      ...(hooks.signal === undefined ? {} : { signal: hooks.signal }),
      ...(hooks.stopSignal === undefined ? {} : { stopSignal: hooks.stopSignal }),
      ...(hooks.onRecord === undefined ? {} : { onRecord: hooks.onRecord }),
      ...(resumed === undefined ? {} : { skip: resumed.skip }),
      inputLines,
      cache,
    })
    await target.finish()
  } finally {
    await target.release()
    await cache?.close()
  }
  let orphaned: JobResult['orphaned']
  // Input order once the run is over (the records are all on disk already, so a crash while
  // compacting loses nothing); `unordered` keeps completion order. A resumed job that was
  // interrupted stays in completion order: its old records are matched to lines by URL, and
  // the lines it did not read are unknown. The next `resume` finishes it.
  if (journal && out !== undefined && target.error === undefined) {
    if (resumed === undefined) {
      if (!resolved.unordered) await compactJournal(out)
    } else if (!stats.interrupted) {
      const kept = await resumed.finish()
      if (kept.orphaned > 0) orphaned = { records: kept.orphaned, file: kept.file }
    }
  }
  const interrupted = hooks.signal?.aborted === true || hooks.stopSignal?.aborted === true
  return {
    outcome: interrupted ? 'interrupted' : stats.failed === 0 ? 'ok' : 'pages-failed',
    stats,
    resumable: out !== undefined && format === 'jsonl',
    orphaned,
  }
}

/**
 * Everything that can still refuse the job, in the order users see the refusals; `out` is
 * locked, then opened, last. The lock is released here if anything after it refuses.
 */
async function openJob(input: JobInput, out: string | undefined, format: OutputFormat, resume: boolean, resolved: ResolvedOptions, stdout: Writable, columns: ColumnInfo[]) {
  if (out !== undefined) await refuseOverwritingInput(input, out)
  const summarizer = await withPrompt(await resolveSummarizer(resolved), resolved)
  const cache = resolved.cache ? await openCache(resolved) : undefined
  const journal = await writesJournal(out, format)
  const locked = out === undefined ? undefined : await fileToLock(out)
  const lock: OutLock | undefined = out !== undefined && locked !== undefined ? await lockOut(out, locked) : undefined
  try {
    if (out !== undefined && lock !== undefined && locked === out) {
      await removeStaleCompactions(out, processRunning)
      await removeStaleCompactions(orphansPath(out), processRunning)
    }
    const resumed = resume && out !== undefined ? await Resume.open(out, journal, resolved.template?.columns) : undefined
    const target = await openOutputTarget(out, format, { journal, fresh: resumed === undefined, stdout, columns })
    // The file exists now: lock it by identity too, for a hard link made to it from here on.
    await lock?.claimFile().catch(async (error: unknown) => {
      await target.release()
      throw error
    })
    return { summarizer, journal, resumed, target, lock, cache }
  } catch (error) {
    lock?.release()
    await cache?.close()
    throw error
  }
}

/**
 * The extractive summarizer cannot follow an instruction. Chosen by `auto` (no model
 * configured), a prompt would be silently ignored on every page: the job is refused. Chosen
 * with `--provider extractive`, it runs, and its notice says the prompt is not followed.
 */
async function withPrompt(summarizer: Awaited<ReturnType<typeof resolveSummarizer>>, resolved: ResolvedOptions): Promise<Awaited<ReturnType<typeof resolveSummarizer>>> {
  if (resolved.template === undefined || summarizer.config.provider !== 'extractive') return summarizer
  if (resolved.provider === 'extractive') return { ...summarizer, notice: `${summarizer.notice}; it cannot follow --prompt, so it writes its usual extractive summaries` }
  throw new UsageError(`--prompt needs a model, and none is configured (${summarizer.notice}): the extractive summarizer cannot follow instructions; configure Bedrock or OpenAI, or add --provider extractive to run without the prompt`)
}
