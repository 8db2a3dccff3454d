import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { UsageError } from '../src/errors.js'
import type { InputItem } from '../src/input/item.js'
import { resolveOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runSummaries } from '../src/run.js'

// Pages are held until the test lets them go, so they are surely in flight when the input breaks.
const held: ServerResponse[] = []
const server = createServer((_req, res) => void held.push(res))
let base: string

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('an input that breaks part way (a CSV quote never closed)', () => {
  it('finishes and writes the pages in flight before the error ends the run', async () => {
    let broke = false
    async function* rows(): AsyncGenerator<InputItem> {
      for (const n of [1, 2, 3]) yield { line: n, url: `${base}/page-${n}`, columns: { url: `${base}/page-${n}`, id: `r${n}` } }
      await vi.waitFor(() => expect(held).toHaveLength(3), { timeout: 30_000 })
      broke = true
      throw new UsageError('cannot parse `in.csv` as CSV: Quote Not Closed')
    }
    const records: PageRecord[] = []
    const running = runSummaries(rows(), { write: (record) => void records.push(record) }, resolveOptions({ strategy: 'async', concurrency: 4, cache: false }), { provider: 'extractive' })
    const outcome = running.then(
      () => 'finished',
      (error: unknown) => error,
    )
    await vi.waitFor(() => expect(broke).toBe(true), { timeout: 30_000 })
    // Without the fix the failure cancels these requests: the client closes their sockets.
    for (const [at, res] of held.entries()) {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(`<html><head><title>Page ${at}</title></head><body><article><p>${'A sentence about things worth reading. '.repeat(20)}</p></article></body></html>`)
    }
    const error = await outcome
    expect(error).toBeInstanceOf(UsageError)
    expect(records.map((record) => [record.line, record.status, record.input])).toEqual([1, 2, 3].map((n) => [n, 'ok', { url: `${base}/page-${n}`, id: `r${n}` }]))
  })
})
