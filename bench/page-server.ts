import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join } from 'node:path'
import { listen, type Listening } from '../src/net/listen.js'

export type PageServer = Listening

/** Where the synthetic light pages live on the page server: `/light/0.html`, `/light/1.html`, … */
export const LIGHT_PREFIX = '/light/'

const TOPICS = ['harbour cranes', 'night trains', 'urban beekeeping', 'glacier maps', 'tram depots', 'seed banks', 'river ferries', 'wind farms']

/**
 * A small, well-formed article of about 1.5 KB: Readability and the summarizer have real
 * work to do, but little of it, so a workload of these pages is bound by model latency.
 * Deterministic: page `n` is the same bytes in every run and every process.
 */
export function lightPage(n: number): string {
  const topic = TOPICS[n % TOPICS.length] as string
  const paragraphs = Array.from(
    { length: 6 },
    (_, i) => `<p>Note ${n}.${i + 1}: ${topic} matter to the city because they change how people move, work and spend their weekends, and item ${n} looks at one detail of that.</p>`,
  ).join('\n')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${topic} ${n}</title></head><body><nav><a href="/">Home</a></nav><article><h1>${topic}, part ${n}</h1>\n${paragraphs}\n</article><footer>Page ${n}</footer></body></html>`
}

// No charset on HTML on purpose: pages declare their own, as on many real sites.
const TYPES: Record<string, string> = { '.html': 'text/html', '.htm': 'text/html', '.txt': 'text/plain; charset=utf-8' }

/**
 * Serves the corpus pages (held in memory, so serving costs little CPU and no disk reads
 * under load) and the synthetic light pages, on 127.0.0.1 with a free port.
 */
export async function startPageServer(dir: string, pages: readonly string[]): Promise<PageServer> {
  const files = new Map<string, { body: Buffer; type: string }>()
  for (const page of pages) {
    files.set(`/${page}`, { body: readFileSync(join(dir, page)), type: TYPES[extname(page).toLowerCase()] ?? 'application/octet-stream' })
  }
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const light = path.startsWith(LIGHT_PREFIX) ? /^(\d+)\.html$/.exec(path.slice(LIGHT_PREFIX.length)) : null
    const file = light === null ? files.get(path) : { body: Buffer.from(lightPage(Number(light[1])), 'utf8'), type: 'text/html; charset=utf-8' }
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length }).end(file.body)
  })
  server.keepAliveTimeout = 65 * 1000 // 65 s: the client, not the server, closes idle sockets
  // Hundreds of pages are fetched at once: a short backlog would drop connections.
  return listen(server, { backlog: 4096 })
}
