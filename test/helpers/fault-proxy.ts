import http from 'node:http'
import { listen } from '../../src/net/listen.js'

export interface ProxiedRequest {
  method: string
  /** Path and query, as sent. */
  url: string
  /** The query's parameters (`uploadId`, `partNumber`, `uploads`). */
  query: URLSearchParams
  /** Settles when the reply has been sent (or the connection has gone). */
  answered: Promise<void>
}

/** What to do with a request: forward it (undefined), or answer it with this HTTP status and an S3 error body. */
export type Decide = (request: ProxiedRequest) => number | undefined | Promise<number | undefined>

export interface FaultProxy {
  url: string
  /** Every request in the order it arrived, answered or not. */
  seen: ProxiedRequest[]
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 in front of `target` (moto): each request is forwarded
 * unless `decide` answers it with an error status, so a test scripts S3 faults per request.
 */
export async function faultProxy(target: string, decide: Decide): Promise<FaultProxy> {
  const upstream = new URL(target)
  const seen: ProxiedRequest[] = []
  const server = http.createServer((req, res) => {
    const answered = new Promise<void>((resolve) => res.once('close', resolve))
    const request = { method: req.method ?? 'GET', url: req.url ?? '/', query: new URL(req.url ?? '/', 'http://x').searchParams, answered }
    seen.push(request)
    void Promise.resolve(decide(request)).then((status) => {
      if (status === undefined) {
        const forwarded = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers)
          reply.pipe(res)
        })
        forwarded.on('error', () => res.destroy())
        req.pipe(forwarded)
        return
      }
      // Read the body first, as S3 does, so the client sees the reply and not a reset.
      req.resume()
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/xml' })
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>scripted failure</Message></Error>`)
      })
    })
  })
  const { url, close } = await listen(server)
  return { url, seen, close }
}
