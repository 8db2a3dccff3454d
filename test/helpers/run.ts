import { Readable } from 'node:stream'
import { readUrlList } from '../../src/input/list.js'
import { resolveOptions, type SummarizeOptions } from '../../src/options.js'
import type { PageRecord } from '../../src/record.js'
import { runSummaries, type RunStats } from '../../src/run.js'
import type { SummarizerConfig } from '../../src/summarizers/config.js'

/** Runs the real pipeline over a list of lines and collects the records in output order. */
export async function runLines(
  lines: string[],
  options: SummarizeOptions,
  summarizer: SummarizerConfig = { provider: 'extractive' },
  signal?: AbortSignal,
): Promise<{ records: PageRecord[]; stats: RunStats }> {
  const records: PageRecord[] = []
  const stats = await runSummaries(
    readUrlList(Readable.from([lines.join('\n')])),
    { write: (record) => void records.push(record) },
    resolveOptions(options),
    summarizer,
    signal === undefined ? {} : { signal },
  )
  return { records, stats }
}
