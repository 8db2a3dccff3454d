import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readUrlList } from '../src/input/list.js'
import { resolveOptions, type Strategy } from '../src/options.js'
import { runSummaries } from '../src/run.js'
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
    // Line 1's page is held until the nine others are written: it finishes last by
    // construction, whatever the machine's speed.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const pages = await startServer((req, res) => {
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'))
      const answer = (): void => void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`topic number ${n}`))
      if (n === 0) void held.then(answer)
      else answer()
    })
    try {
      const order: number[] = []
      const list = Array.from({ length: 10 }, (_, n) => `${pages.url}/page?n=${n}`).join('\n')
      const sink = {
        write: (record: { line: number }) => {
          order.push(record.line)
          if (order.length === 9) release()
        },
      }
      await runSummaries(readUrlList(Readable.from([list])), sink, resolveOptions({ strategy: 'async', concurrency: 10, unordered: true }), { provider: 'extractive' })
      expect([...order].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(order.at(-1)).toBe(1)
    } finally {
      await pages.close()
    }
  })

  it('stops starting pages once the reorder window is full behind a stuck first page', async () => {
    let startedWhileStuck = 0
    const stuck = await startServer((req, res) => {
      if (req.url === '/stuck') {
        // Hold the first page until the run has had every chance to race ahead.
        setTimeout(() => {
          startedWhileStuck = stuck.requests.length
          res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('the stuck page'))
        }, 1500)
        return
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('a quick page'))
    })
    try {
      const urls = [`${stuck.url}/stuck`, ...Array.from({ length: 399 }, (_, i) => `${stuck.url}/quick?i=${i}`)]
      const { records } = await runLines(urls, { strategy: 'async', concurrency: 4 })
      // concurrency 4 gives a window of 256 lines: the stuck one and at most 255 after it.
      // (The lower bound only shows the run did race ahead; a loaded machine may get less far.)
      expect(startedWhileStuck).toBeLessThanOrEqual(256)
      expect(startedWhileStuck).toBeGreaterThan(64)
      expect(records.map((r) => r.line)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1))
    } finally {
      await stuck.close()
    }
  })

  it('bad lines behind a stuck page wait for the window too, so they cannot grow the buffer', async () => {
    let pulled = 0
    let pulledWhileStuck = 0
    const stuck = await startServer((_req, res) => {
      setTimeout(() => {
        pulledWhileStuck = pulled
        res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('the stuck page'))
      }, 1000)
    })
    try {
      const input = (async function* () {
        for (let line = 1; line <= 2000; line++) {
          pulled = line
          yield line === 1 ? { line, url: `${stuck.url}/stuck` } : { line, url: 'bad', error: { code: 'INVALID_URL' as const, message: 'bad', attempts: 1 } }
        }
      })()
      const records: number[] = []
      await runSummaries(input, { write: (r) => void records.push(r.line) }, resolveOptions({ strategy: 'async', concurrency: 4 }), { provider: 'extractive' })
      // The window is 256 lines: the stuck one, 255 finished bad lines, and the one waiting.
      expect(pulledWhileStuck).toBeLessThanOrEqual(257)
      expect(records).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1))
    } finally {
      await stuck.close()
    }
  })
})
