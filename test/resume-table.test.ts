import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHostileTable } from '../bench/tables.js'
import { parseJsonl } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

const run = promisify(execFile)
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))
const CHECK = fileURLToPath(new URL('../bench/table_check.py', import.meta.url))
const ROWS = 40

let pages: TestServer
let dir: string
let release: (() => void) | undefined
let holding = true

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'resume-table-'))
  // Row 20's page is held until the run is killed: the rows after it finish around it.
  pages = await startServer((req, res) => {
    const answer = (): void => void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${req.url ?? ''}`))
    if (req.url === '/p/20' && holding) release = answer
    else answer()
  })
}, 60_000)
afterAll(async () => {
  release?.()
  await pages.close()
  await rm(dir, { recursive: true, force: true })
})

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('--resume on a CSV input after SIGKILL', () => {
  it('loses no finished row, fetches none again, and every row ends with its own cells, in order', async () => {
    const input = join(dir, 'in.csv')
    const out = join(dir, 'out.jsonl')
    // Rows 31–40 repeat the URLs of rows 1–10 with their own cells; quoted line breaks, a BOM, CRLF.
    await writeHostileTable(input, ROWS, pages.url, { badEvery: 0, distinct: 30 })
    const child = spawn(process.execPath, [bin, input, '--out', out, '--provider', 'extractive', '--strategy', 'async', '--concurrency', '4', '--quiet'], { stdio: 'ignore' })
    const exited = once(child, 'exit')
    const written = async (): Promise<Array<Record<string, unknown>>> => parseJsonl(await readFile(out, 'utf8').catch(() => ''))
    await until(async () => release !== undefined && (await written()).length >= 25, 'row 20 held and 25 records written')
    child.kill('SIGKILL')
    await exited
    const before = await written()
    expect(before.length).toBeLessThan(ROWS)
    const requestsBefore = pages.requests.length

    holding = false
    const resumed = await run(process.execPath, [bin, input, '--out', out, '--provider', 'extractive', '--strategy', 'async', '--resume', '--quiet']).then(
      () => 0,
      (error: { code: number }) => error.code,
    )
    expect(resumed).toBe(0)
    const after = await written()
    expect(after.map((r) => r['line'])).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1))
    // Nothing done was redone: the resumed run fetched only the URLs no row had finished.
    const done = new Set(before.filter((r) => r['status'] === 'ok').map((r) => r['url']))
    const fetchedAgain = pages.requests.slice(requestsBefore).filter((path) => done.has(`${pages.url}${path}`))
    expect(fetchedAgain).toEqual([])
    for (const record of before) expect(after[(record['line'] as number) - 1]?.['summary']).toBe(record['summary'])
    // Python's csv and json read the input and the output: every row's cells as they were.
    const { stdout } = await run('python3', [CHECK, input, out])
    expect(JSON.parse(stdout)).toMatchObject({ rows: ROWS, inputRows: ROWS, ok: ROWS, mismatch: null })
  }, 180_000) // two runs of the built bin: generous for a loaded machine
})
