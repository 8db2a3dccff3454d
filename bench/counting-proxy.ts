/**
 * A reverse proxy that counts what a client really sends: every request it forwards, with the
 * time it arrived, whatever the server behind it answers. The rate-control figures count
 * requests here, in front of the emulator, rather than trusting the emulator's own counts.
 * Plain `node:http`, loopback only; it passes a reset from the server on as a reset.
 */
import http from 'node:http'
import { listen, type Listening } from '../src/net/listen.js'

export interface CountingProxy extends Listening {
  /** Arrival times of the requests forwarded, ms on `performance.now()`'s clock. */
  readonly arrivals: number[]
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const arrivals: number[] = []
  const upstream = new URL(target)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now())
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers)
        reply.pipe(res)
      },
    )
    // The emulator resets a connection on purpose (`--reset-rate`): the client must see a reset too.
    forward.on('error', () => res.socket?.resetAndDestroy())
    req.pipe(forward)
  })
  server.keepAliveTimeout = 65_000
  const listening = await listen(server, { backlog: 1024 })
  return {
    ...listening,
    arrivals,
    close: async () => {
      await listening.close()
      agent.destroy()
    },
  }
}

/** Most arrivals in any window of `windowMs` (each window starting at an arrival). */
export function mostInWindow(arrivals: readonly number[], windowMs: number): number {
  const times = [...arrivals].sort((a, b) => a - b)
  let most = 0
  let start = 0
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++
    most = Math.max(most, end - start + 1)
  }
  return most
}
