import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { packageRoot } from './corpus.js'
import { childEnv } from './processes.js'
import { median } from './stats.js'

const run = promisify(execFile)

// From source the CLI is .ts, loaded through tsx; from dist/ it is .js, as a user runs it.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const TSX = ownExtension === 'ts' ? ['--import', 'tsx'] : []
const BIN = new URL(`../src/cli/bin.${ownExtension}`, import.meta.url)

/** Lines of the full probe's list: the "2,000-line offline job". */
export const JOB_LINES = 2000
/** The quick probe: long enough that the defaults start threads (3 s of page work ahead), about 5 s a run. */
export const QUICK_JOB_LINES = 300

/** The job run as a user runs it, with the defaults and with `--strategy async`: whole-process wall times. */
export interface JobProbe {
  lines: number
  /** Wall of each run, process start to exit, in run order. */
  defaultMs: number[]
  asyncMs: number[]
}

/**
 * `summarize-urls list.txt --provider extractive` on `urls` (written to a list file), with the
 * default settings and with `--strategy async`, `runs` times each, interleaved so that a
 * burst of other load hits both alike. Whole processes: start-up, the threads starting and
 * the run's end are in, as `time` would measure them.
 */
export async function measureJob(urls: readonly string[], runs: number): Promise<JobProbe> {
  const dir = await mkdtemp(join(tmpdir(), 'summarize-urls-job-'))
  try {
    const list = join(dir, 'list.txt')
    await writeFile(list, `${urls.join('\n')}\n`)
    const time = async (extra: string[]): Promise<number> => {
      const started = performance.now()
      await run(process.execPath, [...TSX, BIN.pathname, list, '--provider', 'extractive', '--quiet', '-o', join(dir, 'out.jsonl'), ...extra], { cwd: packageRoot(), env: childEnv(false), maxBuffer: 16 * 1024 * 1024 })
      return performance.now() - started
    }
    const probe: JobProbe = { lines: urls.length, defaultMs: [], asyncMs: [] }
    for (let i = 0; i < runs; i++) {
      probe.defaultMs.push(await time([]))
      probe.asyncMs.push(await time(['--strategy', 'async']))
    }
    return probe
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Median wall of `--strategy async` over the default's: the speed-up a user gets by leaving the defaults alone. */
export function jobSpeedup(probe: JobProbe): number {
  return median(probe.asyncMs) / median(probe.defaultMs)
}
