/**
 * The emulator's HTTP layer, shared by every protocol: the server, a route table that
 * protocol modules fill, body reading with a size cap, JSON replies. It knows nothing of
 * any protocol's error shape: a protocol supplies its own replies for unmatched requests
 * and for its own bugs.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Outcome, StatsRecorder } from './stats.js'

/** One request as a route handler sees it. */
export interface Exchange {
  req: http.IncomingMessage
  res: http.ServerResponse
  /** The route's capture groups, URL-decoded (left as sent when they do not decode). */
  params: string[]
  /** `performance.now()` when the request arrived, for the latency a reply reports. */
  arrivedMs: number
  /** Aborts when the request is over: its reply finished, or the client hung up while waiting. */
  gone: AbortSignal
}

export interface Route {
  method: string
  /** Matched against the URL's path, without the query string. */
  path: RegExp
  /** Answers the request; resolves to how it ended, which the stats count. */
  handle(exchange: Exchange): Promise<Outcome>
}

/** A wire protocol the emulator speaks: its routes, and its replies when no route applies. */
export interface Protocol {
  routes: readonly Route[]
  /** Called before anything else for each request this protocol answers: headers every reply carries. */
  begin(res: http.ServerResponse): void
  /** The reply to a request no route of any protocol matches (only asked of the default protocol). */
  notFound(exchange: Exchange): Outcome
  /** The reply when answering a request threw: an emulator bug, reported in this protocol's error shape. */
  internalError(res: http.ServerResponse, message: string): Outcome
}

/** Bedrock's request size limit is in this range; beyond it the emulator refuses rather than buffers. */
const MAX_BODY_BYTES = 25 * 1024 * 1024 // 25 MiB
/** Longer than any client's idle timeout, so the client, not the server, closes idle sockets (no reset races). */
const KEEP_ALIVE_TIMEOUT_MS = 65 * 1000 // 65 s

export interface Listening {
  url: string
  port: number
  /** Stops listening and drops every connection, including requests still waiting for their reply. */
  close(): Promise<void>
}

export interface ServeOptions {
  host: string
  port: number
  /** Routes are tried in this order; the first protocol also answers requests no route matches. */
  protocols: readonly [Protocol, ...Protocol[]]
  stats: StatsRecorder
}

export async function serve({ host, port, protocols, stats }: ServeOptions): Promise<Listening> {
  const [fallback] = protocols
  const server = http.createServer((req, res) => {
    const arrivedMs = performance.now()
    stats.arrived()
    // Fires on a finished reply and on a client that hung up while waiting: either way the
    // request is over, and a pending latency timer must not outlive it.
    const gone = new AbortController()
    res.on('close', () => {
      stats.left()
      gone.abort()
    })
    let protocol = fallback
    let begun = false
    const respond = async (): Promise<Outcome> => {
      const found = findRoute(protocols, req)
      if (found !== undefined) protocol = found.protocol
      protocol.begin(res)
      begun = true
      const exchange = { req, res, params: found?.params ?? [], arrivedMs, gone: gone.signal }
      return found === undefined ? protocol.notFound(exchange) : found.route.handle(exchange)
    }
    respond()
      .then((outcome) => stats.count(outcome))
      .catch((error: unknown) => {
        if (gone.signal.aborted) return
        if (!begun) protocol.begin(res)
        const message = error instanceof Error ? error.message : String(error)
        stats.count(protocol.internalError(res, `emulator bug: ${message}`))
      })
  })
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const urlHost = host.includes(':') ? `[${host}]` : host
  let closing: Promise<void> | undefined
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })),
  }
}

/** Throws on a URL that does not parse: the caller answers that as an emulator bug, as any other throw. */
function findRoute(protocols: readonly Protocol[], req: http.IncomingMessage): { protocol: Protocol; route: Route; params: string[] } | undefined {
  const path = new URL(req.url ?? '/', 'http://emulator').pathname
  for (const protocol of protocols) {
    for (const route of protocol.routes) {
      if (route.method !== req.method) continue
      const match = route.path.exec(path)
      if (match !== null) return { protocol, route, params: match.slice(1).map((group) => safeDecode(group ?? '')) }
    }
  }
  return undefined
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

export type Body = { kind: 'read'; body: Buffer } | { kind: 'too-large'; maxBytes: number } | { kind: 'gone' }

/** The whole request body, unless it is over the cap or the client hangs up mid-body. */
export async function readBody(req: http.IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) {
        req.resume()
        return { kind: 'too-large', maxBytes: MAX_BODY_BYTES }
      }
      chunks.push(chunk as Buffer)
    }
  } catch {
    return { kind: 'gone' }
  }
  return { kind: 'read', body: Buffer.concat(chunks) }
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown): number {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
  return status
}

/** RST rather than FIN: the client sees ECONNRESET, as when a connection dies mid-call. */
export function resetConnection(res: http.ServerResponse): 'reset' {
  res.socket?.resetAndDestroy()
  return 'reset'
}
