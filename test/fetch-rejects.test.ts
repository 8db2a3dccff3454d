import { describe, expect, it } from 'vitest'

import { ERROR_CODES } from '../src/errors.js'
import { expectPageError, useFetchHarness } from './helpers/fetch-harness.js'

const { serve, fetcher } = useFetchHarness()

describe('PageFetcher rejects pages it cannot use', () => {
  it.each([
    [404, 'HTTP 404 Not Found'],
    [500, 'HTTP 500 Internal Server Error'],
    [304, 'HTTP 304 Not Modified'],
  ])('reports status %i as HTTP_STATUS naming it', async (status, message) => {
    const base = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' }).end(status === 304 ? undefined : 'nope')
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.HTTP_STATUS)
    expect(error.message).toBe(message)
  })

  it('reports an error status without waiting for a body that never ends', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(503, 'Slow Down', { 'content-type': 'text/html' })
      res.write('<html>')
    })
    const started = Date.now()

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.HTTP_STATUS)
    expect(error.message).toBe('HTTP 503 Slow Down')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it.each(['image/png', 'application/json; charset=utf-8', 'video/mp4'])(
    'rejects Content-Type %s as UNSUPPORTED_CONTENT_TYPE naming the type, without reading the body',
    async (contentType) => {
      const base = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': contentType })
        // A body that never ends: the type alone must decide.
        res.write('%PDF-1.7 is not enough: the type is not a download')
      })

      const error = await expectPageError(fetcher().fetch(base))

      expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
      expect(error.message).toContain(contentType.split(';')[0])
    },
  )

  it('rejects a response without Content-Type that does not look like HTML or PDF', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200).end('GIF89a <html> later on does not count')
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
    expect(error.message).toMatch(/no Content-Type/)
    expect(error.hint).toMatch(/HTML, XHTML, plain text and PDF/)
  })

  it('rejects a download (application/octet-stream) that is not a PDF, naming the type', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('PK\x03\x04 a zip file')
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
    expect(error.message).toBe('unsupported content type application/octet-stream (and the body is not a PDF)')
  })

  it('rejects an empty response without Content-Type', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200).end()
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
  })

  it('rejects a Content-Encoding it cannot decode, naming it', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'compress' }).end('\x1f\x9d')
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.UNSUPPORTED_CONTENT_TYPE)
    expect(error.message).toContain('compress')
  })

  it('reports a corrupt gzip body as FETCH_FAILED', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end('<html>not gzip</html>')
    })

    const error = await expectPageError(fetcher().fetch(base))

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
    const error = await expectPageError(fetcher().fetch(url))

    expect(error.code).toBe(ERROR_CODES.INVALID_URL)
    expect(error.message).toContain(message)
  })

  it('keeps URL credentials out of an INVALID_URL message', async () => {
    const error = await expectPageError(fetcher().fetch('http://alice:s3cret@exa mple.com/'))

    expect(error.code).toBe(ERROR_CODES.INVALID_URL)
    expect(error.message).not.toContain('s3cret')
    expect(error.message).not.toContain('alice')
  })
})
