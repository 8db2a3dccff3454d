import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

import { ERROR_CODES } from '../src/errors.js'
import { expectPageError, useFetchHarness } from './helpers/fetch-harness.js'

const KiB = 1024
const MiB = 1024 * KiB

const { serve, fetcher } = useFetchHarness({ deadlineMs: 3000, maxBytes: 64 * KiB })

describe('PageFetcher caps the body size', () => {
  it('accepts a body of exactly maxBytes', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('a'.repeat(64 * KiB))
    })

    const page = await fetcher().fetch(base)

    expect(page.body.byteLength).toBe(64 * KiB)
  })

  it('rejects a Content-Length over the cap before reading the body', async () => {
    let bodySent = false
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(10 * MiB) })
      res.flushHeaders()
      // The body would follow well after any reasonable fetch has given up.
      setTimeout(() => {
        bodySent = true
        res.end('x'.repeat(10 * MiB))
      }, 1000).unref()
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.TOO_LARGE)
    expect(error.message).toBe('Content-Length 10485760 is over the 64 KiB limit')
    expect(bodySent).toBe(false)
  })

  it('stops a chunked body without Content-Length as soon as it passes the cap', async () => {
    let written = 0
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      // Endless, so only the cap can end the fetch.
      const timer = setInterval(() => {
        res.write('x'.repeat(16 * KiB))
        written += 16 * KiB
      }, 1)
      res.on('close', () => clearInterval(timer))
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.TOO_LARGE)
    expect(error.message).toBe('body larger than the 64 KiB limit')
    expect(written).toBeLessThan(4 * MiB)
  })

  it('applies the cap to the decompressed size, not the bytes on the wire', async () => {
    const compressed = gzipSync(Buffer.alloc(65 * KiB, 'a'))
    const base = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        'content-encoding': 'gzip',
        'content-length': String(compressed.byteLength),
      })
      res.end(compressed)
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(compressed.byteLength).toBeLessThan(KiB)
    expect(error.code).toBe(ERROR_CODES.TOO_LARGE)
  })

  it('stops a gzip bomb fast without inflating it', async () => {
    // 100 MB of zeros as ten gzip members (a valid multi-member stream) of about 10 KB each.
    const member = gzipSync(Buffer.alloc(10 * MiB))
    const bomb = Buffer.concat(Array.from({ length: 10 }, () => member))
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': String(bomb.byteLength) })
      res.end(bomb)
    })
    const before = process.memoryUsage().arrayBuffers
    const started = performance.now()

    const error = await expectPageError(fetcher({ maxBytes: MiB }).fetch(base))

    expect(error.code).toBe(ERROR_CODES.TOO_LARGE)
    expect(bomb.byteLength).toBeLessThan(200 * KiB)
    expect(performance.now() - started).toBeLessThan(1000)
    // Fully inflated it would take 100 MB; Node's zlib streams stop when nobody reads.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MiB)
  })
})
