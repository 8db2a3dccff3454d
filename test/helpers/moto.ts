import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { afterAll, beforeAll, beforeEach } from 'vitest'

/** moto_server takes about 4 s to answer on an idle machine; a loaded one needs more. */
const READY_TIMEOUT_MS = 60 * 1000 // 60 s
const POLL_MS = 100

export interface Moto {
  /** `http://127.0.0.1:PORT`: the S3 endpoint. */
  url: string
  /** Forgets every bucket and object (`POST /moto-api/reset`). */
  reset(): Promise<void>
}

const INSTALL_HINT =
  'moto_server was not found on PATH. The batch tests need a real S3-compatible server on 127.0.0.1: ' +
  "install moto with its server extra (`python3 -m pip install 'moto[server]'`), then run the tests again."

/** Free port from the kernel: bind to 0, read it, close. moto cannot be told to pick one itself. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let exited: number | null = null
  child.once('exit', (code) => (exited = code ?? -1))
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`moto_server exited with ${exited} before it answered`)
    try {
      const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  throw new Error(`moto_server did not answer GET /moto-api/ within ${READY_TIMEOUT_MS} ms`)
}

export interface MotoOptions {
  /** moto's settings for this server, as environment variables (e.g. `S3_UPLOAD_PART_MIN_SIZE`). */
  env?: Record<string, string>
}

/**
 * Starts one moto_server for the test file, resets it before each test and stops it at the
 * end. Fails (never skips) when moto is missing, saying how to install it.
 */
export function useMoto(options: MotoOptions = {}): Moto {
  let child: ChildProcess | undefined
  const moto: Moto = {
    url: '',
    reset: async () => {
      const response = await fetch(`${moto.url}/moto-api/reset`, { method: 'POST' })
      await response.arrayBuffer()
    },
  }
  beforeAll(async () => {
    if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).error !== undefined) throw new Error(INSTALL_HINT)
    const port = await freePort()
    moto.url = `http://127.0.0.1:${port}`
    child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env: { ...process.env, ...options.env } })
    await waitReady(moto.url, child)
  }, READY_TIMEOUT_MS + 5_000)
  beforeEach(() => moto.reset())
  afterAll(async () => {
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise((resolve) => child?.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  return moto
}
