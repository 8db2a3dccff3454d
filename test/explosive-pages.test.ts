import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PageRecord } from '../src/record.js'
import { CORPUS_DIR } from './helpers/corpus.js'
import { EXPLOSIVE_PAGES } from './helpers/explosive-pages.js'
import { runLines } from './helpers/run.js'
import { startServer, type TestServer } from './helpers/servers.js'

/**
 * Pages inside the 5 MiB size cap whose markup explodes a DOM (issue 10): each must end as one
 * PAGE_TOO_COMPLEX record while the ordinary pages around it are summarized, in every
 * strategy, including those that extract on the main thread. Before the limits, the flat page
 * killed the process out of memory and the nested one held a thread for minutes.
 * `npx tsx bench/extract.ts --explosive` measures their peak RSS and wall time.
 */

const MiB = 1024 * 1024
const CORPUS_PAGES = ['001', 'ars-1', 'hukumusume', 'nytimes-1']

const EXPLOSIVE = EXPLOSIVE_PAGES

let server: TestServer
let lines: string[]

beforeAll(async () => {
  const corpus = new Map(CORPUS_PAGES.map((name) => [`/corpus/${name}`, readFileSync(join(CORPUS_DIR, name, 'source.html'))]))
  for (const [path, { body }] of Object.entries(EXPLOSIVE)) expect(Buffer.byteLength(body), path).toBeLessThan(5 * MiB)
  server = await startServer((req, res) => {
    const path = req.url ?? '/'
    const body = corpus.get(path) ?? EXPLOSIVE[path]?.body
    if (body === undefined) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body)
  })
  // Ordinary pages before, between and after the explosive ones.
  const [a = '', b = '', c = '', d = ''] = CORPUS_PAGES.map((name) => `${server.url}/corpus/${name}`)
  const [flat = '', nested = '', attributes = '', text = ''] = Object.keys(EXPLOSIVE).map((path) => server.url + path)
  lines = [a, flat, nested, b, attributes, c, text, d]
})

afterAll(() => server.close())

function outcomes(records: PageRecord[]): Array<{ url: string; status: string; code: string | null }> {
  return records.map((r) => ({ url: r.url, status: r.status, code: r.error?.code ?? null }))
}

describe.each([
  { strategy: 'sequential' as const },
  { strategy: 'async' as const, concurrency: 4 },
  { strategy: 'pool' as const, concurrency: 4, threads: 2 },
])('explosive pages among ordinary ones, $strategy strategy', (options) => {
  it('gives one record a line: ok for the ordinary pages, PAGE_TOO_COMPLEX naming the limit for each explosive page', async () => {
    const { records, stats } = await runLines(lines, options)

    expect(outcomes(records)).toEqual(
      lines.map((url) => {
        const explosive = new URL(url).pathname in EXPLOSIVE
        return { url, status: explosive ? 'error' : 'ok', code: explosive ? 'PAGE_TOO_COMPLEX' : null }
      }),
    )
    for (const record of records) {
      const reason = EXPLOSIVE[new URL(record.url).pathname]?.reason
      if (reason !== undefined) expect(record.error?.message).toMatch(/^the page is too complex to extract: /)
      if (reason !== undefined) expect(record.error?.message).toMatch(reason)
    }
    expect(stats).toMatchObject({ pages: lines.length, ok: CORPUS_PAGES.length, failed: Object.keys(EXPLOSIVE).length })
  }, 120_000)
})
