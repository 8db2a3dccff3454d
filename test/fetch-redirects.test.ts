import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ERROR_CODES } from '../src/errors.js'
import { listen, type Listening } from '../src/net/listen.js'
import { expectPageError, useFetchHarness } from './helpers/fetch-harness.js'

const { fetcher: newFetcher } = useFetchHarness()

/**
 * /hop/N redirects to /hop/N-1 until /hop/0 serves the page; /to?status=S&location=L answers
 * with status S and Location L; /big-redirect sends 1 MB along with its Location; /loop/a and /loop/b redirect to each other.
 */
let server: Server
let listening: Listening
let base: string
let connections = 0
const methods: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    methods.push(req.method ?? '')
    const url = new URL(req.url ?? '/', 'http://localhost')
    const hop = /^\/hop\/(\d+)$/.exec(url.pathname)
    if (hop) {
      const n = Number(hop[1])
      if (n === 0) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>arrived</body></html>')
      } else {
        res.writeHead(302, { location: `/hop/${n - 1}`, 'content-type': 'text/html' }).end('<a href="…">moved</a>')
      }
    } else if (url.pathname === '/to') {
      const location = url.searchParams.get('location')
      res.writeHead(Number(url.searchParams.get('status') ?? 302), location === null ? {} : { location }).end()
    } else if (url.pathname === '/big-redirect') {
      res.writeHead(302, { location: '/hop/0', 'content-type': 'text/html' }).end('x'.repeat(1024 * 1024))
    } else if (url.pathname === '/loop/a') {
      res.writeHead(301, { location: '/loop/b' }).end()
    } else if (url.pathname === '/loop/b') {
      res.writeHead(308, { location: `${base}/loop/a` }).end()
    } else if (url.pathname === '/docs/guide/start') {
      res.writeHead(302, { location: '../api/?v=2#top' }).end()
    } else if (url.pathname === '/docs/api/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body>api ${url.search}</body></html>`)
    } else {
      res.writeHead(404).end()
    }
  })
  server.on('connection', () => connections++)
  listening = await listen(server)
  base = listening.url
})

afterAll(async () => {
  await listening.close()
})

function to(location: string, status = 302): string {
  return `${base}/to?status=${status}&location=${encodeURIComponent(location)}`
}

describe('PageFetcher follows redirects itself', () => {
  it('follows a chain of exactly maxRedirects hops and reports the final URL', async () => {
    const page = await newFetcher().fetch(`${base}/hop/5`)

    expect(page.status).toBe(200)
    expect(page.redirects).toBe(5)
    expect(page.url).toBe(`${base}/hop/5`)
    expect(page.finalUrl).toBe(`${base}/hop/0`)
  })

  it('runs a redirect chain on one keep-alive connection', async () => {
    const before = connections

    await newFetcher({ connections: 1 }).fetch(`${base}/hop/5`)

    expect(connections - before).toBe(1)
  })

  it('lets go of a large redirect body instead of letting it hold the only socket', async () => {
    // One socket allowed: an unread 1 MB body would pause it and stall the next hop.
    const page = await newFetcher({ connections: 1 }).fetch(`${base}/big-redirect`)

    expect(page.finalUrl).toBe(`${base}/hop/0`)
  })

  it('gives up with TOO_MANY_REDIRECTS after maxRedirects hops', async () => {
    methods.length = 0

    const error = await expectPageError(newFetcher().fetch(`${base}/hop/6`))

    expect(error.code).toBe(ERROR_CODES.TOO_MANY_REDIRECTS)
    expect(error.message).toContain('more than 5 redirects')
    expect(methods).toHaveLength(6)
  })

  it('reports a redirect loop as TOO_MANY_REDIRECTS as soon as it closes', async () => {
    methods.length = 0

    const error = await expectPageError(newFetcher().fetch(`${base}/loop/a`))

    expect(error.code).toBe(ERROR_CODES.TOO_MANY_REDIRECTS)
    expect(error.message).toBe(`redirect loop back to ${base}/loop/a`)
    expect(methods).toHaveLength(2)
  })

  it('resolves a relative Location against the current URL', async () => {
    const page = await newFetcher().fetch(`${base}/docs/guide/start`)

    expect(page.finalUrl).toBe(`${base}/docs/api/?v=2#top`)
    expect(Buffer.from(page.body).toString()).toContain('api ?v=2')
  })

  it.each([301, 302, 303, 307, 308])('follows a %i with a GET', async (status) => {
    methods.length = 0

    const page = await newFetcher().fetch(to('/hop/0', status))

    expect(page.finalUrl).toBe(`${base}/hop/0`)
    expect(methods).toEqual(['GET', 'GET'])
  })

  it.each([
    ['file:///etc/passwd', 'file:'],
    ['javascript:alert(document.cookie)', 'javascript:'],
    ['data:text/html,<script>alert(1)</script>', 'data:'],
    ['ftp://127.0.0.1/pub', 'ftp:'],
  ])('refuses a redirect to %s with BAD_REDIRECT naming the scheme', async (location, scheme) => {
    const error = await expectPageError(newFetcher().fetch(to(location)))

    expect(error.code).toBe(ERROR_CODES.BAD_REDIRECT)
    expect(error.message).toBe(`redirect to unsupported scheme ${scheme}`)
  })

  it('refuses a redirect without a Location as BAD_REDIRECT', async () => {
    const error = await expectPageError(newFetcher().fetch(`${base}/to?status=301`))

    expect(error.code).toBe(ERROR_CODES.BAD_REDIRECT)
    expect(error.message).toContain('without a Location')
  })

  it('refuses a Location that is not a URL as BAD_REDIRECT', async () => {
    const error = await expectPageError(newFetcher().fetch(to('http://[::1')))

    expect(error.code).toBe(ERROR_CODES.BAD_REDIRECT)
  })

  it('keeps credentials from a Location out of the message', async () => {
    // Relative Locations inherit the credentials, so the URL in the message still carries them.
    const location = `http://alice:s3cret@${new URL(base).host}/hop/9`

    const error = await expectPageError(newFetcher().fetch(to(location)))

    expect(error.code).toBe(ERROR_CODES.TOO_MANY_REDIRECTS)
    expect(error.message).toBe(`more than 5 redirects (next was http://redacted@${new URL(base).host}/hop/4)`)
  })
})
