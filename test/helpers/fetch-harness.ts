import { createServer, type RequestListener, type Server } from 'node:http'
import { afterEach, expect } from 'vitest'

import { PageError } from '../../src/errors.js'
import { PageFetcher, type FetchSettings } from '../../src/fetch.js'
import { listen } from '../../src/net/listen.js'

/** Fetch settings for tests: generous limits that a test narrows with overrides where it matters. */
export const TEST_FETCH_SETTINGS: FetchSettings = {
  userAgent: 'summarize-urls-test/0.0.0',
  connectTimeoutMs: 1000,
  headersTimeoutMs: 2000,
  bodyTimeoutMs: 2000,
  deadlineMs: 2000,
  maxRedirects: 5,
  maxBytes: 1024 * 1024,
  maxPdfBytes: 4 * 1024 * 1024,
  connections: 4,
}

export interface FetchHarness {
  /** Starts a server for this test on a free port of `host` (default 127.0.0.1) and gives its base URL. */
  serve(handler: RequestListener, host?: string): Promise<string>
  /** A PageFetcher with the harness settings and `overrides`, closed after the test. */
  fetcher(overrides?: Partial<FetchSettings>): PageFetcher
  /** The servers `serve` started in the current test, oldest first; all are closed after it. */
  servers: Server[]
  /** The settings `fetcher` starts from. */
  settings: FetchSettings
}

/**
 * Registers an afterEach that closes every server and fetcher a test made through the harness.
 * Call it once at the top level of a test file.
 */
export function useFetchHarness(settingsOverrides: Partial<FetchSettings> = {}): FetchHarness {
  const settings: FetchSettings = { ...TEST_FETCH_SETTINGS, ...settingsOverrides }
  const servers: Server[] = []
  // A test may take a server out of `servers` to close it itself; the rest are closed here.
  const closers = new Map<Server, () => Promise<void>>()
  const fetchers: PageFetcher[] = []

  afterEach(async () => {
    for (const server of servers.splice(0)) await closers.get(server)?.()
    closers.clear()
    await Promise.all(fetchers.splice(0).map((f) => f.close()))
  })

  return {
    async serve(handler, host) {
      const server = createServer(handler)
      servers.push(server)
      const { url, close } = await listen(server, host === undefined ? {} : { host })
      closers.set(server, close)
      return url
    },
    fetcher(overrides = {}) {
      const f = new PageFetcher({ ...settings, ...overrides })
      fetchers.push(f)
      return f
    },
    servers,
    settings,
  }
}

/** Waits for `promise` to reject, checks that it rejected with a PageError and gives that error. */
export async function expectPageError(promise: Promise<unknown>): Promise<PageError> {
  const error = await promise.then(
    () => expect.fail('expected the fetch to fail'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(PageError)
  return error as PageError
}
