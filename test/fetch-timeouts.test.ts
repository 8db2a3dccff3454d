import { getEventListeners } from 'node:events'
import type { RequestListener } from 'node:http'
import { describe, expect, it } from 'vitest'

import { ERROR_CODES } from '../src/errors.js'
import { expectPageError, useFetchHarness } from './helpers/fetch-harness.js'

// undici's headers and body timeouts tick about once a second, so sub-second tests rely on the
// deadline and keep undici's own timeouts out of the way.
const { serve, fetcher, servers } = useFetchHarness({ headersTimeoutMs: 5000, bodyTimeoutMs: 5000, deadlineMs: 500 })

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const result = await run()
  return [result, performance.now() - started]
}

const NEVER_ANSWERS: RequestListener = () => {}

function trickle(everyMs: number): RequestListener {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    const timer = setInterval(() => res.write('x'), everyMs)
    res.on('close', () => clearInterval(timer))
  }
}

describe('PageFetcher times out', () => {
  it('gives up on a server that never answers at the deadline', async () => {
    const base = await serve(NEVER_ANSWERS)

    const [error, elapsed] = await timed(() => expectPageError(fetcher().fetch(base)))

    expect(error.code).toBe(ERROR_CODES.FETCH_TIMEOUT)
    expect(error.message).toBe('page not complete within 500 ms deadline')
    expect(elapsed).toBeGreaterThanOrEqual(450)
    expect(elapsed).toBeLessThan(1000)
  })

  it('gives up at the deadline on a body that trickles a byte every 200 ms', async () => {
    const base = await serve(trickle(200))

    const [error, elapsed] = await timed(() => expectPageError(fetcher().fetch(base)))

    expect(error.code).toBe(ERROR_CODES.FETCH_TIMEOUT)
    expect(error.message).toBe('page not complete within 500 ms deadline')
    expect(elapsed).toBeLessThan(1000)
  })

  it('counts redirects against the same deadline', async () => {
    const base = await serve((req, res) => {
      const n = Number(req.url?.slice(1))
      setTimeout(() => {
        if (n === 0) res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>')
        else res.writeHead(302, { location: `/${n - 1}` }).end()
      }, 150)
    })

    const error = await expectPageError(fetcher().fetch(`${base}/4`))

    expect(error.code).toBe(ERROR_CODES.FETCH_TIMEOUT)
    expect(error.message).toContain('deadline')
  })

  it('reports undici’s headers timeout when the deadline is further away', async () => {
    const base = await serve(NEVER_ANSWERS)

    const [error, elapsed] = await timed(() =>
      expectPageError(fetcher({ headersTimeoutMs: 1000, deadlineMs: 5000 }).fetch(base)),
    )

    expect(error.code).toBe(ERROR_CODES.FETCH_TIMEOUT)
    expect(error.message).toBe('no response headers within 1 s')
    expect((error.cause as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT')
    expect(elapsed).toBeLessThan(3000)
  })

  it('reports undici’s body timeout when the body stalls', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.write('<html>')
    })

    const error = await expectPageError(fetcher({ bodyTimeoutMs: 1000, deadlineMs: 5000 }).fetch(base))

    expect(error.code).toBe(ERROR_CODES.FETCH_TIMEOUT)
    expect(error.message).toBe('no body data for 1 s')
  })
})

describe('PageFetcher reports failed connections', () => {
  it('reports a refused connection as FETCH_FAILED with the code and the original error', async () => {
    const base = await serve(NEVER_ANSWERS)
    const server = servers.pop()
    await new Promise((resolve) => server?.close(resolve))

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.FETCH_FAILED)
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.cause).toBeInstanceOf(Error)
  })

  it('reports a connection closed in the middle of the body as FETCH_FAILED', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': '1000' })
      res.write('<html>', () => res.socket?.destroy())
    })

    const error = await expectPageError(fetcher().fetch(base))

    expect(error.code).toBe(ERROR_CODES.FETCH_FAILED)
    expect(error.message).toMatch(/UND_ERR_SOCKET|closed/)
  })
})

describe('PageFetcher stops when the caller aborts', () => {
  it('reports ABORTED, not a timeout, when the caller aborts while waiting for headers', async () => {
    const base = await serve(NEVER_ANSWERS)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)

    const [error, elapsed] = await timed(() => expectPageError(fetcher().fetch(base, controller.signal)))

    expect(error.code).toBe(ERROR_CODES.ABORTED)
    expect(error.cause).toBe(controller.signal.reason)
    expect(elapsed).toBeLessThan(450)
  })

  it('reports ABORTED when the caller aborts while the body is arriving', async () => {
    const base = await serve(trickle(20))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)

    const error = await expectPageError(fetcher().fetch(base, controller.signal))

    expect(error.code).toBe(ERROR_CODES.ABORTED)
  })

  it('sends nothing when the signal is already aborted', async () => {
    let requests = 0
    const base = await serve((_req, res) => {
      requests++
      res.end()
    })

    const error = await expectPageError(fetcher().fetch(base, AbortSignal.abort()))

    expect(error.code).toBe(ERROR_CODES.ABORTED)
    expect(requests).toBe(0)
  })

  it('leaves a long-lived caller signal without listeners once each fetch is done', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>')
    })
    const controller = new AbortController()
    const f = fetcher()

    await f.fetch(base, controller.signal)
    await expectPageError(f.fetch(`${base.replace(/:\d+$/, ':1')}/`, controller.signal))

    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})
