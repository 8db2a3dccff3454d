import { execFile } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { WORKER_READY, WORKER_URL, type WorkerInit } from '../src/executors/worker-protocol.js'
import { packageRoot } from './corpus.js'
import { childEnv } from './processes.js'
import { medianOf } from './extract-cpu.js'

const run = promisify(execFile)

// From source the CLI and the worker are .ts, loaded through tsx (which costs its own start-up);
// from dist/ they are .js, as a user runs them. The module's own extension tells which.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const TSX = ownExtension === 'ts' ? ['--import', 'tsx'] : []
const BIN = new URL(`../src/cli/bin.${ownExtension}`, import.meta.url)

/** Fixed costs a user pays before any page: medians over `runs` fresh processes and threads, in ms. */
export interface StartupProbe {
  /** `node -e 0`: the floor every Node program pays on this machine. */
  nodeMs: number
  versionMs: number
  helpMs: number
  /** A pool thread (Piscina's worker and ours, offline summarizer) from creation until it can take a page. */
  workerReadyMs: number
  /** The CLI ran from source through tsx: its figures include tsx's own start-up. */
  fromSource: boolean
}

async function timeProcess(args: string[]): Promise<number> {
  const started = performance.now()
  await run(process.execPath, args, { cwd: packageRoot(), env: childEnv(false) })
  return performance.now() - started
}

/** One pool thread, as the pool starts it, timed from `new Piscina` to its ready message. */
async function timeWorker(): Promise<number> {
  const { Piscina } = await import('piscina')
  const started = performance.now()
  const pool = new Piscina({ filename: WORKER_URL.href, workerData: { summarize: true } satisfies WorkerInit, minThreads: 1, maxThreads: 1, execArgv: TSX })
  try {
    await new Promise<void>((resolve) => pool.on('message', (message: unknown) => message === WORKER_READY && resolve()))
    return performance.now() - started
  } finally {
    await pool.destroy()
  }
}

/** Measures each start-up `runs` times, interleaved so that a burst of other load hits all of them alike. */
export async function measureStartup(runs: number): Promise<StartupProbe> {
  const samples: Record<'nodeMs' | 'versionMs' | 'helpMs' | 'workerReadyMs', number[]> = { nodeMs: [], versionMs: [], helpMs: [], workerReadyMs: [] }
  for (let i = 0; i < runs; i++) {
    samples.nodeMs.push(await timeProcess(['-e', '0']))
    samples.versionMs.push(await timeProcess([...TSX, BIN.pathname, '--version']))
    samples.helpMs.push(await timeProcess([...TSX, BIN.pathname, '--help']))
    samples.workerReadyMs.push(await timeWorker())
  }
  return {
    nodeMs: medianOf(samples.nodeMs),
    versionMs: medianOf(samples.versionMs),
    helpMs: medianOf(samples.helpMs),
    workerReadyMs: medianOf(samples.workerReadyMs),
    fromSource: ownExtension === 'ts',
  }
}
