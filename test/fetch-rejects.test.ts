import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'

import { ERROR_CODES, PageError } from '../src/errors.js'
import { PageFetcher, type FetchSettings } from '../src/fetch.js'

const SETTINGS: FetchSettings = {
  userAgent: 'summarize-urls-test/0.0.0',
  connectTimeoutMs: 1000,
  headersTimeoutMs: 2000,
  bodyTimeoutMs: 2000,
  deadlineMs: 2000,
  maxRedirects: 5,
  maxBytes: 1024 * 1024,
  connections: 4,
}

const servers: Server[] = []
const fetchers: PageFetcher[] = []

async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function fetcher(): PageFetcher {
  const f = new PageFetcher(SETTINGS)
  fetchers.push(f)
  return f
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await Promise.all(fetchers.splice(0).map((f) => f.close()))
})

async function failure(promise: Promise<unknown>): Promise<PageError> {
  const error = await promise.then(
    () => expect.fail('expected the fetch to fail'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PageError)
  return error as PageError
}

describe('PageFetcher rejects pages it cannot use', () => {
  it.each([
    [404, 'HTTP 404 Not Found'],
    [500, 'HTTP 500 Internal Server Error'],
    [304, 'HTTP 304 Not Modified'],
  ])('reports status %i as HTTP_STATUS naming it', async (status, message) => {
    const base = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' }).end(status === 304 ? undefined : 'nope')
    })

    const error = await failure(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.HTTP_STATUS)
    expect(error.message).toBe(message)
  })

  it('reports an error status without waiting for a body that never ends', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(503, 'Slow Down', { 'content-type': 'text/html' })
      res.write('<html>')
    })
    const started = Date.now()

    const error = await failure(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.HTTP_STATUS)
    expect(error.message).toBe('HTTP 503 Slow Down')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it.each(['application/pdf', 'image/png', 'application/json; charset=utf-8'])(
    'rejects Content-Type %s as UNSUPPORTED_CONTENT_TYPE naming the type, without reading the body',
    async (contentType) => {
      const base = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': contentType })
        // A body that never ends: the type alone must decide.
        res.write('%PDF-1.7')
      })

      const error = await failure(fetcher().fetch(base))

      expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
      expect(error.message).toContain(contentType.split(';')[0])
    },
  )

  it('rejects a response without Content-Type that does not look like HTML', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200).end('%PDF-1.7 <html> later on does not count')
    })

    const error = await failure(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
    expect(error.message).toMatch(/no Content-Type/)
  })

  it('rejects an empty response without Content-Type', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200).end()
    })

    const error = await failure(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
  })

  it('rejects a Content-Encoding it cannot decode, naming it', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'compress' }).end('\x1f\x9d')
    })

    const error = await failure(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
    expect(error.message).toContain('compress')
  })

  it('reports a corrupt gzip body as FETCH_FAILED', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end('<html>not gzip</html>')
    })

    const error = await failure(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.FETCH_FAILED)
    expect(error.message).toBe('could not decompress the body: incorrect header check (Z_DATA_ERROR)')
  })

  it.each([
    ['not a url', 'not an absolute URL'],
    ['/relative/path', 'not an absolute URL'],
    ['ftp://example.com/file', 'got ftp:'],
    ['file:///etc/passwd', 'got file:'],
    ['javascript:alert(1)', 'got javascript:'],
  ])('rejects %s as INVALID_URL without a request', async (url, message) => {
    const error = await failure(fetcher().fetch(url))

    expect(error.code).toBe(ERROR_CODES.INVALID_URL)
    expect(error.message).toContain(message)
  })

  it('keeps URL credentials out of an INVALID_URL message', async () => {
    const error = await failure(fetcher().fetch('http://alice:s3cret@exa mple.com/'))

    expect(error.code).toBe(ERROR_CODES.INVALID_URL)
    expect(error.message).not.toContain('s3cret')
    expect(error.message).not.toContain('alice')
  })
})
