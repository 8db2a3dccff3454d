import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A server listening on a free port: where to reach it, and how to stop it. */
export interface Listening {
  /** `http://HOST:PORT`, an IPv6 host in brackets. */
  url: string
  /**
   * Stops the server and ends every connection, idle keep-alive ones included, which
   * `server.close()` alone would wait for. Resolves once the server has closed.
   */
  close(): Promise<void>
}

export interface ListenOptions {
  /** Address to bind. Default `127.0.0.1`; Linux routes all of 127/8 to loopback, and `::1` is IPv6's. */
  host?: string
  /** Connections the kernel queues before `accept`. Default Node's (511); a server hit by hundreds of fetches at once needs more. */
  backlog?: number
}

/**
 * Starts `server` on a free port (the demo's page server, the benchmark's servers, test
 * servers). Rejects if it cannot bind.
 */
export async function listen(server: Server, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port: 0, host, ...(options.backlog === undefined ? {} : { backlog: options.backlog }) }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // An error here only says the server was already closed: closed is what the caller wants.
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
