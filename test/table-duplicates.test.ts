import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InputItem } from '../src/input/item.js'
import { resolveOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runSummaries } from '../src/run.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

let pages: TestServer
let release: (() => void) | undefined
let bothRead = false

beforeAll(async () => {
  // The page is held until the run has read the row that repeats its URL.
  pages = await startServer((_req, res) => {
    release = () => void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('held'))
    if (bothRead) release()
  })
})
afterAll(() => pages.close())

describe('a URL repeated while its page is in flight', () => {
  it('is fetched once, and each row gets the record with its own cells', async () => {
    const url = `${pages.url}/same`
    async function* rows(): AsyncGenerator<InputItem> {
      yield { line: 1, url, columns: { url, team: 'A' } }
      yield { line: 2, url, columns: { url, team: 'B' } }
      // The page finishes only after both rows are read: row 2 waits on row 1's fetch.
      bothRead = true
      release?.()
    }
    const records: PageRecord[] = []
    await runSummaries(rows(), { write: (record) => void records.push(record) }, resolveOptions({ provider: 'extractive', strategy: 'async', concurrency: 4 }), { provider: 'extractive' })
    expect(bothRead).toBe(true)
    expect(pages.requests).toEqual(['/same'])
    expect(records.map((r) => [r.line, r.status, r.input?.['team']])).toEqual([
      [1, 'ok', 'A'],
      [2, 'ok', 'B'],
    ])
    expect(records[1]?.summary).toBe(records[0]?.summary)
  })
})
