import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Strategy } from '../src/options.js'
import { runLines } from './helpers/run.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

let server: TestServer
beforeAll(async () => {
  // Page n answers after (10 - n) * 40 ms: the first lines finish last.
  server = await startServer((req, res) => {
    const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'))
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`topic number ${n}`)), (10 - n) * 40)
  })
})
afterAll(() => server.close())

const lines = () => Array.from({ length: 10 }, (_, n) => `${server.url}/page?n=${n}`)

describe('output order', () => {
  for (const strategy of ['pool', 'async'] as Strategy[]) {
    it(`${strategy} strategy keeps input order when later pages finish first`, async () => {
      const { records } = await runLines(lines(), { strategy, concurrency: 10, threads: 2 })
      expect(records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(records.every((r) => r.status === 'ok')).toBe(true)
      expect(records[0]?.title).toBe('All about topic number 0')
    })
  }

  it('--unordered writes records as pages finish', async () => {
    const { records } = await runLines(lines(), { strategy: 'async', concurrency: 10, unordered: true })
    const order = records.map((r) => r.line)
    expect([...order].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    // The slowest page (line 1) finishes last.
    expect(order.at(-1)).toBe(1)
  })

  it('keeps at most the reorder window of results waiting, so a stuck first page cannot grow memory without bound', async () => {
    // concurrency 1 makes the window 256 (its floor); 300 pages must still all come out in order.
    const { records } = await runLines(
      Array.from({ length: 300 }, () => `${server.url}/page?n=9`),
      { strategy: 'async', concurrency: 4 },
    )
    expect(records.map((r) => r.line)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
  })
})
