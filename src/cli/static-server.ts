import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'
import { listen, type Listening } from '../net/listen.js'

export type StaticServer = Listening

// No charset on purpose: pages declare their own (<meta charset>, http-equiv), as on many real sites.
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
}

/** Serves a folder read-only on 127.0.0.1 (a free port), for the demo and for tests. */
export async function serveDirectory(root: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const file = normalize(join(root, path))
    if (!file.startsWith(normalize(root + sep))) {
      res.writeHead(403).end()
      return
    }
    stat(file).then(
      (info) => {
        if (!info.isFile()) throw new Error('not a file')
        res.writeHead(200, { 'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': info.size })
        createReadStream(file).pipe(res)
      },
      () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'),
    ).catch(() => res.writeHead(404).end())
  })
  return listen(server)
}
