import http from 'node:http'
import { listen } from '../../src/net/listen.js'

export interface Received {
  /** performance.now() when the request body had arrived. */
  at: number
  body: string
  headers: http.IncomingHttpHeaders
}

export type Reply = (res: http.ServerResponse) => void

export interface ScriptedServer {
  url: string
  received: Received[]
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1 that answers the n-th request with the n-th reply (the last one repeats; none: no answer). */
export async function scriptedServer(replies: Reply[]): Promise<ScriptedServer> {
  const received: Received[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push({ at: performance.now(), body, headers: req.headers })
      const reply = replies[Math.min(received.length, replies.length) - 1]
      reply?.(res)
    })
  })
  const { url, close } = await listen(server)
  return { url, received, close }
}

/** A JSON reply with `status` and extra headers. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(value))
  }
}
