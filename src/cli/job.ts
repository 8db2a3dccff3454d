import { countItems } from '../input/open.js'
import type { OutputFormat, SummarizeOptions } from '../options.js'
import { createProgress } from '../output/progress.js'
import type { JobInput } from '../input/job-input.js'
import { summarizeFile, type JobOutcome, type JobOutput } from '../job/summarize-file.js'
import { EXIT } from './exit-codes.js'
import type { CliIO } from './io.js'
import { safeLine } from '../output/control-chars.js'

/** The output flags: where records go, and whether to say anything on stderr. */
export interface OutputChoice extends JobOutput {
  out: string | undefined
  format: OutputFormat
  quiet: boolean
  /** Keep the ok records already in `out` and do the rest (`--resume`). */
  resume: boolean
}

const EXIT_CODES: Record<JobOutcome, number> = { ok: EXIT.OK, 'pages-failed': EXIT.PAGES_FAILED, interrupted: EXIT.INTERRUPTED }

/**
 * Runs a summarize job (the main command, the demo) with the CLI's face on it: notices and
 * progress on stderr unless `quiet`, what to do after an early stop, and the exit code.
 */
export async function runJob(input: JobInput, options: SummarizeOptions, choice: OutputChoice, io: CliIO): Promise<number> {
  const say = (line: string): void => {
    // Notices quote what servers said (a breaker's cause): no control sequence reaches the terminal.
    if (!choice.quiet) io.stderr.write(`summarize-urls: ${safeLine(line)}\n`)
  }
  const live = io.stderrIsTTY && !choice.quiet
  // The summary's time counts from the process's start, as `time` does.
  const progress = createProgress(io.stderr, { quiet: choice.quiet, live, since: 0 })
  let result
  try {
    result = await summarizeFile(input, choice, options, {
      stdin: io.stdin,
      stdout: io.stdout,
      signal: io.signal,
      stopSignal: io.stopSignal,
      onStart: async ({ summarizer, resumed, lockTakenOver }) => {
        if (lockTakenOver !== undefined) {
          say(`took over \`${choice.out}.lock\` from run PID ${lockTakenOver.pid} (since ${lockTakenOver.since}), which is no longer running`)
        }
        say(summarizer)
        if (resumed !== undefined) {
          say(`resuming \`${choice.out}\`: ${resumed.done} ok ${resumed.done === 1 ? 'record' : 'records'} found` + (resumed.tornBytes > 0 ? `, a torn last line (${resumed.tornBytes} bytes) dropped` : ''))
        }
        progress.start(live && typeof input === 'string' ? await countItems(input, { format: options.inputFormat ?? 'auto', urlColumn: options.urlColumn }) : undefined)
      },
      onRecord: (record) => progress.update(record),
      onHint: (hint) => say(hint),
    })
  } finally {
    progress.close()
  }
  const { stats } = result
  progress.stop(stats)
  if (result.orphaned !== undefined) {
    // Printed even with --quiet: these records left `--out`, and the user must be able to find them.
    const { records, file } = result.orphaned
    io.stderr.write(
      `summarize-urls: ${safeLine(`${records} finished ${records === 1 ? 'record is' : 'records are'} for URLs this input no longer has: kept in \`${file}\`, not in \`${choice.out}\` (a later --resume whose input has them uses them)`)}\n`,
    )
  }
  if (stats.breaker !== null) say(`stopped: every model call failed with ${stats.breaker.code}: ${stats.breaker.message}`)
  if (stats.breaker !== null || stats.interrupted) {
    say(
      result.resumable
        ? `finished pages are in \`${choice.out}\`; to do the rest, run the same command with --resume`
        : 'to make a run resumable, write JSONL to a file: --out FILE.jsonl, then --resume',
    )
  }
  return EXIT_CODES[result.outcome]
}
