import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { packageRoot } from './corpus.js'

// From source (vitest, tsx) this module is .ts and so are the child entries, which Node 20
// can only load through tsx; from dist/ both are .js. The module's own extension tells which
// (the same rule the pool uses for its worker file).
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
const EXEC_ARGV = ownExtension === 'ts' ? ['--import', 'tsx'] : []

/** Last bytes of a child's stderr kept for the error message when it dies. */
const STDERR_TAIL_BYTES = 4 * 1024

/** The environment every child gets: no SDK notice per process, fake credentials only when asked. */
export function childEnv(fakeAwsCredentials: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
  if (fakeAwsCredentials) {
    // The emulator only checks that requests are signed; these never leave the machine.
    env['AWS_ACCESS_KEY_ID'] = 'bench'
    env['AWS_SECRET_ACCESS_KEY'] = 'bench'
    delete env['AWS_SESSION_TOKEN']
    delete env['AWS_PROFILE']
    env['AWS_EC2_METADATA_DISABLED'] = 'true'
  }
  return env
}

export interface Child {
  process: ChildProcess
  /** The next IPC message, or a rejection naming the child and its stderr if it exits first. */
  next<T>(): Promise<T>
  send(message: unknown): void
  /** Ends the child (disconnect, then SIGTERM if it lingers) and waits for it to exit. */
  stop(): Promise<void>
}

/**
 * Forks one of the benchmark's child entries (`child/NAME.ts|js`) with an IPC channel.
 * Children exit when the channel closes, so a bench that dies takes its servers with it.
 */
export function forkChild(name: 'page-server' | 'emulator' | 'run', env: NodeJS.ProcessEnv): Child {
  const entry = new URL(`./child/${name}.${ownExtension}`, import.meta.url)
  const child = fork(entry, [], { execArgv: EXEC_ARGV, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env, cwd: packageRoot() })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES)
  })
  const queue: unknown[] = []
  const waiting: Array<{ resolve: (value: unknown) => void; reject: (error: Error) => void }> = []
  let exited: Error | undefined
  child.on('message', (message) => {
    const waiter = waiting.shift()
    if (waiter === undefined) queue.push(message)
    else waiter.resolve(message)
  })
  child.on('exit', (code, signal) => {
    exited = new Error(`benchmark ${name} process exited (${signal ?? `code ${String(code)}`}) before answering${stderr.trim() === '' ? '' : `:\n${stderr.trim()}`}`)
    for (const waiter of waiting.splice(0)) waiter.reject(exited)
  })
  child.on('error', () => {
    // Reported through 'exit'; without a listener an IPC error would crash the bench.
  })
  return {
    process: child,
    next<T>(): Promise<T> {
      if (queue.length > 0) return Promise.resolve(queue.shift() as T)
      if (exited !== undefined) return Promise.reject(exited)
      return new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as (value: unknown) => void, reject }))
    },
    send(message: unknown): void {
      child.send(message as never)
    },
    async stop(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = once(child, 'exit')
      if (child.connected) child.disconnect()
      const timer = setTimeout(() => child.kill('SIGTERM'), 5 * 1000) // 5 s
      await gone
      clearTimeout(timer)
    },
  }
}

/** What a server child sends once it listens. */
export interface ListeningMessage {
  type: 'listening'
  url: string
}
