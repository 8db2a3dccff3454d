import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { packageRoot } from './corpus.js'
import { exitedChildrenCpuMs, machineBusyMs, processCpuMs } from './machine-load.js'
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

/** Where one run's CPU went (Linux /proc): the CLI process (every thread), the page server, and other programs. */
export interface JobCpu {
  cliMs: number
  serverMs: number
  /** Cores other programs kept busy during the run, on average. */
  otherCores: number
}

/** The job run as a user runs it, with the defaults and with `--strategy async`: whole-process wall times. */
export interface JobProbe {
  lines: number
  /** Wall of each run, process start to exit, in run order. */
  defaultMs: number[]
  asyncMs: number[]
  /** CPU of each run, in the same order; empty without /proc, absent in results from before it was measured. */
  defaultCpu?: JobCpu[]
  asyncCpu?: JobCpu[]
}

/**
 * `summarize-urls list.txt --provider extractive` on `urls` (written to a list file), with the
 * default settings and with `--strategy async`, `runs` times each, interleaved so that a
 * burst of other load hits both alike. Whole processes: start-up, the threads starting and
 * the run's end are in, as `time` would measure them. `serverPid`: the page server, whose CPU
 * is counted with the run's (it shares the cores).
 */
export async function measureJob(urls: readonly string[], runs: number, serverPid?: number): Promise<JobProbe> {
  const dir = await mkdtemp(join(tmpdir(), 'summarize-urls-job-'))
  try {
    const list = join(dir, 'list.txt')
    await writeFile(list, `${urls.join('\n')}\n`)
    const probe = { lines: urls.length, defaultMs: [] as number[], asyncMs: [] as number[], defaultCpu: [] as JobCpu[], asyncCpu: [] as JobCpu[] }
    // Each run in a cache of its own, fresh: a run is timed as a user's first one, and the
    // bench never reads or writes the user's cache.
    let runNo = 0
    const time = async (extra: string[], walls: number[], cpus: JobCpu[]): Promise<void> => {
      const before = { children: exitedChildrenCpuMs(), server: serverPid === undefined ? undefined : processCpuMs(serverPid), busy: machineBusyMs() }
      const started = performance.now()
      await run(process.execPath, [...TSX, BIN.pathname, list, '--provider', 'extractive', '--quiet', '-o', join(dir, 'out.jsonl'), '--cache-dir', join(dir, `cache-${runNo++}`), ...extra], { cwd: packageRoot(), env: childEnv(false), maxBuffer: 16 * 1024 * 1024 })
      const wallMs = performance.now() - started
      walls.push(wallMs)
      const after = { children: exitedChildrenCpuMs(), server: serverPid === undefined ? undefined : processCpuMs(serverPid), busy: machineBusyMs() }
      if (before.children === undefined || after.children === undefined || before.busy === undefined || after.busy === undefined) return
      const cliMs = after.children - before.children
      const serverMs = before.server === undefined || after.server === undefined ? 0 : after.server - before.server
      // The bench process itself is idle while it waits (a few ms of bookkeeping): counted as other programs.
      cpus.push({ cliMs, serverMs, otherCores: Math.max(0, after.busy - before.busy - cliMs - serverMs) / wallMs })
    }
    for (let i = 0; i < runs; i++) {
      await time([], probe.defaultMs, probe.defaultCpu)
      await time(['--strategy', 'async'], probe.asyncMs, probe.asyncCpu)
    }
    return probe
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The most the defaults could gain over async on `cores` cores: async's wall over the least
 * time the defaults' CPU (the CLI's and the page server's, which share the cores) can take
 * spread over every core. Undefined without CPU figures.
 */
export function jobBound(probe: JobProbe, cores: number): { bound: number; cpuMs: number; cliMs: number; serverMs: number; otherCores: number } | undefined {
  const runs = probe.defaultCpu ?? []
  if (runs.length === 0) return undefined
  const cliMs = median(runs.map((c) => c.cliMs))
  const serverMs = median(runs.map((c) => c.serverMs))
  const otherCores = median([...runs, ...(probe.asyncCpu ?? [])].map((c) => c.otherCores))
  const cpuMs = cliMs + serverMs
  return { bound: median(probe.asyncMs) / (cpuMs / cores), cpuMs, cliMs, serverMs, otherCores }
}

/** Median wall of `--strategy async` over the default's: the speed-up a user gets by leaving the defaults alone. */
export function jobSpeedup(probe: JobProbe): number {
  return median(probe.asyncMs) / median(probe.defaultMs)
}
