import type { IncomingHttpHeaders } from 'node:http'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

import { TEST_FETCH_SETTINGS, useFetchHarness } from './helpers/fetch-harness.js'

const HTML = '<!doctype html><html><head><title>Hi</title></head><body><p>Hello</p></body></html>'

const { serve, fetcher, servers } = useFetchHarness()

describe('PageFetcher returns pages', () => {
  it('fetches an HTML page with its final URL, status, charset and exact bytes', async () => {
    let received: IncomingHttpHeaders = {}
    const base = await serve((req, res) => {
      received = req.headers
      res.writeHead(200, { 'content-type': 'text/html; charset=ISO-8859-1' }).end(HTML)
    })

    const page = await fetcher().fetch(`${base}/page?q=1#section`)

    expect(page).toMatchObject({
      url: `${base}/page?q=1#section`,
      finalUrl: `${base}/page?q=1#section`,
      status: 200,
      contentType: 'text/html',
      headerCharset: 'ISO-8859-1',
      redirects: 0,
    })
    expect(Buffer.from(page.body).toString('latin1')).toBe(HTML)
    expect(received['user-agent']).toBe(TEST_FETCH_SETTINGS.userAgent)
    expect(received['accept']).toBe('text/html,application/xhtml+xml,text/plain;q=0.9,application/pdf;q=0.8,*/*;q=0.1')
    expect(received['accept-encoding']).toBe('gzip, deflate, br')
  })

  it('gives a body whose ArrayBuffer holds exactly the body, ready to transfer to a worker', async () => {
    // Small bodies are where Buffer.concat would hand out a slice of Node's shared pool.
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.write('<html>')
      setTimeout(() => res.end('<body>x</body></html>'), 10)
    })

    const { body } = await fetcher().fetch(`${base}/`)

    expect(body.byteOffset).toBe(0)
    expect(body.buffer.byteLength).toBe(body.byteLength)
    expect(Buffer.from(body).toString()).toBe('<html><body>x</body></html>')
    const { port1, port2 } = new MessageChannel()
    port1.postMessage(body, [body.buffer])
    port1.close()
    port2.close()
    expect(body.byteLength).toBe(0)
  })

  it('treats application/xhtml+xml as HTML and keeps a quoted charset unquoted', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'Application/XHTML+XML;Charset="utf-8"' }).end(HTML)
    })

    const page = await fetcher().fetch(base)

    expect(page.contentType).toBe('text/html')
    expect(page.headerCharset).toBe('utf-8')
    expect(page.finalUrl).toBe(`${base}/`)
  })

  it('accepts text/plain', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('just words')
    })

    const page = await fetcher().fetch(`${base}/notes.txt`)

    expect(page.contentType).toBe('text/plain')
    expect(page.headerCharset).toBeUndefined()
    expect(Buffer.from(page.body).toString()).toBe('just words')
  })

  it.each([
    ['a doctype after a BOM and whitespace', `\uFEFF \n\t<!DOCTYPE html>${HTML.slice(15)}`],
    ['an <html> tag', '<HTML lang="en"><body>hi</body></HTML>'],
    ['a <head> tag', '<head><title>t</title></head>'],
    ['a <body> tag', '\n\n<body>hi</body>'],
  ])('takes a response without Content-Type as HTML when it starts with %s', async (_name, text) => {
    const base = await serve((_req, res) => {
      // Node adds no Content-Type of its own.
      res.writeHead(200).end(text)
    })

    const page = await fetcher().fetch(base)

    expect(page.contentType).toBe('text/html')
    expect(page.headerCharset).toBeUndefined()
    expect(Buffer.from(page.body).toString()).toBe(text)
  })

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('decodes a %s body', async (encoding, compress) => {
    const text = HTML.repeat(500)
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding }).end(compress(Buffer.from(text)))
    })

    const page = await fetcher().fetch(base)

    expect(Buffer.from(page.body).toString()).toBe(text)
    expect(page.body.buffer.byteLength).toBe(text.length)
  })

  it('decodes stacked codings in reverse order and passes identity through', async () => {
    const base = await serve((_req, res) => {
      const body = brotliCompressSync(gzipSync(Buffer.from(HTML)))
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'identity, gzip, br' }).end(body)
    })

    const page = await fetcher().fetch(base)

    expect(Buffer.from(page.body).toString()).toBe(HTML)
  })

  it('reuses one keep-alive connection for consecutive pages of an origin', async () => {
    let connections = 0
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(HTML)
    })
    servers[0]?.on('connection', () => connections++)
    // With more sockets allowed, undici's pool may open a second one for a request sent in the
    // same tick the previous body ended, before that socket counts as idle again.
    const f = fetcher({ connections: 1 })

    for (let i = 0; i < 3; i++) await f.fetch(`${base}/${i}`)

    expect(connections).toBe(1)
  })
})

describe('credentials in URLs', () => {
  it('never puts user:password from the URL into finalUrl', async () => {
    const base = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(HTML))
    const page = await fetcher().fetch(base.replace('http://', 'http://alice:s3cretpass@') + '/page')
    expect(page.finalUrl).toBe(`${base}/page`)
  })
})
