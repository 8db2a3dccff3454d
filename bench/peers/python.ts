import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../corpus.js'
import type { RunSample } from '../run-once.js'

/** The write-up's strategies, as the Python script names them. */
export type PythonStrategy = 'sequential' | 'gather' | 'threads' | 'to_thread'

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
  ]
  return new Promise((resolve, reject) => {
    // Its own process group: a Ctrl-C meant for the bench lets this run finish (the bench stops after it).
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
        const sample = JSON.parse(stdout) as Omit<RunSample, 'eventLoopP99Ms' | 'mainBusyMs'>
        resolve({ ...sample, eventLoopP99Ms: null, mainBusyMs: null })
      } catch {
        reject(new Error(`python peer (${job.strategy}) printed no JSON: ${stdout.slice(0, 200)} ${stderr.trim()}`))
      }
    })
    child.stdin.end(`${job.urls.join('\n')}\n`)
  })
}
