import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../corpus.js'
import { SYSTEM_PROMPT } from '../../src/summarizers/prompt.js'
import type { RunSample } from '../run-once.js'

/** The write-up's strategies, as the Python script names them, and `readability` (threads doing our extraction's work). */
export type PythonStrategy = 'sequential' | 'gather' | 'threads' | 'to_thread' | 'readability'

/** Where Debian's `python3-readability` puts readability-lxml, for a `python3` (pyenv, a venv) that does not look there. */
export const DEBIAN_DIST_PACKAGES = '/usr/lib/python3/dist-packages'

/** The one line printed when readability-lxml is missing: the row is skipped, nothing else. */
export const READABILITY_HINT = 'the python-readability row was skipped: readability-lxml is not importable (Debian/Ubuntu: `sudo apt-get install python3-readability`; elsewhere: `pip install readability-lxml`)'

export interface PythonJob {
  strategy: PythonStrategy
  urls: string[]
  concurrency: number
  endpoint: string
  modelId: string
  region: string
  maxChars: number
}

/** The script ships beside the package (package.json `files`), not in dist/: tsc copies no Python. */
export function pythonPeerScript(): string {
  const script = join(packageRoot(), 'bench', 'peers', 'python_peer.py')
  if (!existsSync(script)) throw new Error(`the Python peer script is missing: ${script}`)
  return script
}

/** `Python 3.x.y` when `python3` runs here, else undefined (the Python rows are then skipped, with a note). */
export function pythonVersion(command = 'python3'): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { timeout: 10 * 1000 }, (error, stdout, stderr) => {
      const version = `${stdout}${stderr}`.trim()
      resolve(error === null && /^Python 3\./.test(version) ? version : undefined)
    })
  })
}

function imports(command: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, ['-c', 'import lxml.html, readability'], { timeout: 30 * 1000, env }, (error) => resolve(error === null))
  })
}

/**
 * The environment under which `command` imports readability-lxml: as it is, or with Debian's
 * dist-packages on PYTHONPATH (apt installs it for /usr/bin/python3, which a pyenv or venv
 * `python3` does not search); undefined when neither works (the row is skipped, READABILITY_HINT).
 */
export async function readabilityEnv(command: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv | undefined> {
  if (await imports(command, env)) return env
  if (!existsSync(join(DEBIAN_DIST_PACKAGES, 'readability'))) return undefined
  const path = [env['PYTHONPATH'], DEBIAN_DIST_PACKAGES].filter((part) => part !== undefined && part !== '').join(':')
  const withDebian = { ...env, PYTHONPATH: path }
  return (await imports(command, withDebian)) ? withDebian : undefined
}

/** Runs the Python peer once, in its own process, and returns what it measured. */
export function runPythonPeer(job: PythonJob, env: NodeJS.ProcessEnv, command = 'python3'): Promise<RunSample> {
  const args = [
    pythonPeerScript(),
    '--strategy', job.strategy,
    '--concurrency', String(job.concurrency),
    '--endpoint', job.endpoint,
    '--model', job.modelId,
    '--region', job.region,
    '--max-chars', String(job.maxChars),
    '--system', SYSTEM_PROMPT,
  ]
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C meant for the bench lets this run finish (the bench stops after it).
    const spawnedAt = Date.now()
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env, detached: true })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`python peer (${job.strategy}) exited with code ${String(code)}: ${stderr.trim()}`))
        return
      }
      try {
        const { startedEpochMs, ...sample } = JSON.parse(stdout) as Omit<RunSample, 'eventLoopP99Ms' | 'mainBusyMs' | 'processStartMs' | 'threadsReadyMs'> & { startedEpochMs: number }
        // Its threads start as the run does (a ThreadPoolExecutor starts one per task until full): nothing to wait for before.
        resolve({ ...sample, eventLoopP99Ms: null, mainBusyMs: null, processStartMs: Math.max(0, startedEpochMs - spawnedAt), threadsReadyMs: null })
      } catch {
        reject(new Error(`python peer (${job.strategy}) printed no JSON: ${stdout.slice(0, 200)} ${stderr.trim()}`))
      }
    })
    child.stdin.end(`${job.urls.join('\n')}\n`)
  })
}
