import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { join } from 'node:path'
import { listen } from '../../src/net/listen.js'
import { CORPUS_DIR, corpusPageNames } from './corpus.js'
import { articlePage } from './servers.js'

/**
 * Corpus pages whose extracted text does not change when their paragraphs do (the text
 * comes from elsewhere in the markup): a derived copy of them would not be distinct.
 */
const UNCHANGED_BY_EDITION = new Set(['005-unescape-html-entities', 'ietf-1', 'invalid-attributes', 'replace-brs', 'replace-font-tags', 'style-tags-removal', 'title-and-h1-discrepancy'])

/** How a page of the site lets itself be kept: validators, none, or `Cache-Control: no-store`. */
export type Validation = 'etag' | 'last-modified' | 'none' | 'no-store'

export interface CorpusSite {
  url: string
  /** Page `i`'s path. */
  path(i: number): string
  /** Changes page `i`'s content (its edition). */
  edit(i: number): void
  /** Serves page `i`'s content (same edition, same validators) at `path` too. */
  alias(path: string, i: number): void
  /** Requests answered with the whole page, and with 304. */
  counts: { full: number; notModified: number; conditional: number }
  close(): Promise<void>
}

/**
 * `count` pages derived from the corpus: page `i` is corpus page `i mod n`, every paragraph
 * marked with its edition, so every page's text is distinct and an edit changes it. Pages
 * carry an ETag, a Last-Modified, neither, or no-store (`validation(i)`), and a conditional
 * request that matches is answered `304 Not Modified`.
 */
export async function startCorpusSite(count: number, validation: (i: number) => Validation = () => 'etag', options: { synthetic?: boolean } = {}): Promise<CorpusSite> {
  const names = corpusPageNames().filter((name) => !UNCHANGED_BY_EDITION.has(name))
  const sources = new Map<string, string>()
  const source = (name: string): string => {
    let html = sources.get(name)
    if (html === undefined) sources.set(name, (html = readFileSync(join(CORPUS_DIR, name, 'source.html'), 'utf8')))
    return html
  }
  const editions = new Array<number>(count).fill(0)
  const aliases = new Map<string, number>()
  const counts = { full: 0, notModified: 0, conditional: 0 }
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? ''
    const match = /^\/p\/(\d+)$/.exec(path)
    const i = match !== null ? Number(match[1]) : aliases.get(path)
    if (i === undefined || i >= count) return void res.writeHead(404).end()
    const edition = editions[i] ?? 0
    const mode = validation(i)
    const etag = `"${i}-${edition}"`
    const lastModified = new Date(Date.UTC(2026, 0, 1) + edition * 60_000).toUTCString()
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' }
    if (mode === 'etag') headers['etag'] = etag
    if (mode === 'last-modified') headers['last-modified'] = lastModified
    if (mode === 'no-store') headers['cache-control'] = 'no-store'
    const ifNoneMatch = req.headers['if-none-match']
    const ifModifiedSince = req.headers['if-modified-since']
    if (ifNoneMatch !== undefined || ifModifiedSince !== undefined) counts.conditional += 1
    const fresh = (mode === 'etag' && ifNoneMatch === etag) || (mode === 'last-modified' && ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= Date.parse(lastModified))
    if (fresh) {
      counts.notModified += 1
      return void res.writeHead(304, headers).end()
    }
    counts.full += 1
    const name = names[i % names.length] ?? ''
    const mark = ` (edition ${i}.${edition})</p>`
    // Synthetic: a light article page (fast to extract) instead of a corpus page.
    const html = options.synthetic === true ? articlePage(`subject ${i}`) : source(name)
    res.writeHead(200, headers).end(html.replace(/<title([^>]*)>/i, `<title$1>Edition ${i}.${edition}: `).replace(/<\/p>/gi, mark))
  })
  const listening = await listen(server)
  return {
    url: listening.url,
    path: (i) => `/p/${i}`,
    edit: (i) => void (editions[i] = (editions[i] ?? 0) + 1),
    alias: (path, i) => void aliases.set(path, i),
    counts,
    close: () => listening.close(),
  }
}

/** A model call as the proxy saw it. */
export interface ProxiedCall {
  /** SHA-256 of the request body: one per distinct request the model was sent. */
  body: string
  /** The `Edition i.e` mark of the page in the request, when there is one. */
  edition: string | undefined
  startedAt: number
  endedAt: number
}

/**
 * A counting proxy in front of the emulator: every model call passes through it, so a test
 * counts the calls that reached the model, whatever the client or the process.
 */
export async function startCountingProxy(target: string): Promise<{ url: string; calls: ProxiedCall[]; close(): Promise<void> }> {
  const calls: ProxiedCall[] = []
  const upstream = new URL(target)
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const startedAt = performance.now()
      const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers)
        reply.pipe(res)
        reply.on('end', () => {
          if (req.method === 'POST' && (req.url ?? '').startsWith('/model/')) {
            calls.push({ body: createHash('sha256').update(body).digest('hex'), edition: /[Ee]dition (\d+\.\d+)/.exec(body.toString('utf8'))?.[1], startedAt, endedAt: performance.now() })
          }
        })
      })
      forward.on('error', () => res.writeHead(502).end())
      forward.end(body)
    })
  })
  const listening = await listen(server)
  return { url: listening.url, calls, close: () => listening.close() }
}
