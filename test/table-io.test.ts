import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TABLE_COLUMNS, writeHostileJsonl, writeHostileTable } from '../bench/tables.js'
import { runCli } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

// Tables in (CSV, JSON Lines, Parquet) and out (JSONL, CSV, Parquet), each output read back
// by a reader nobody here wrote: Python's csv and json modules, and DuckDB for Parquet.
// 120 rows: rows 101–120 repeat the URLs of rows 1–20 with their own cells, and every 40th
// row has no usable URL.

const CHECK = fileURLToPath(new URL('../bench/table_check.py', import.meta.url))
const ROWS = 120

let pages: TestServer
let dir: string
let duck: Awaited<ReturnType<typeof DuckDBInstance.create>>

function pythonCheck(input: string, output: string): Promise<{ rows: number; inputRows: number; ok: number; errorRows: number; errors: Array<{ line: number; message: string }>; mismatch: unknown }> {
  return new Promise((resolve, reject) =>
    execFile('python3', [CHECK, input, output], (error, stdout, stderr) => {
      if (stdout.trim() === '') return reject(new Error(`${String(error)} ${stderr}`))
      resolve(JSON.parse(stdout))
    }),
  )
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const connection = await duck.connect()
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
  }
}

const summarize = (input: string, out: string, ...flags: string[]) => runCli([input, '--provider', 'extractive', '--strategy', 'async', '--out', out, '--quiet', ...flags])

beforeAll(async () => {
  pages = await startServer((req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${req.url}`)))
  dir = await mkdtemp(join(tmpdir(), 'table-io-'))
  const options = { badEvery: 40, distinct: 100 }
  await writeHostileTable(join(dir, 'in.csv'), ROWS, pages.url, options)
  await writeHostileJsonl(join(dir, 'in.jsonl'), ROWS, pages.url, options)
  duck = await DuckDBInstance.create(':memory:')
  // The Parquet input is DuckDB's, from the CSV with every column as text.
  await query(`COPY (SELECT * FROM read_csv('${join(dir, 'in.csv')}', all_varchar = true, header = true)) TO '${join(dir, 'in.parquet')}' (FORMAT parquet)`)
}, 60_000)

afterAll(async () => {
  duck?.closeSync()
  await pages?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('a table in, a table out', () => {
  it('CSV in (BOM, CRLF, quoted commas and line breaks, non-ASCII): CSV and JSONL out keep every row, in order, with its cells as they were', async () => {
    for (const out of ['out.csv', 'out.jsonl']) {
      const result = await summarize(join(dir, 'in.csv'), join(dir, out))
      expect(result.code, result.stderr).toBe(1) // the rows without a URL failed
      const check = await pythonCheck(join(dir, 'in.csv'), join(dir, out))
      expect(check.mismatch).toBeNull()
      expect(check).toMatchObject({ rows: ROWS, inputRows: ROWS, errorRows: 3, ok: ROWS - 3 })
      expect(check.errors.map((e) => e.line)).toEqual([40, 80, 120])
      for (const error of check.errors) expect(error.message).toContain(`row ${error.line}: column \`url\``)
    }
  }, 120_000)

  it('a duplicate URL in another row keeps its own cells, and the page is fetched once', async () => {
    const before = pages.requests.length
    const result = await summarize(join(dir, 'in.csv'), join(dir, 'dup.jsonl'))
    expect(result.code).toBe(1)
    expect(pages.requests.length - before).toBe(100 - 2) // 100 distinct URLs, rows 40 and 80 have none
    const records = (await import('node:fs')).readFileSync(join(dir, 'dup.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { line: number; url: string; summary: string; input: Record<string, string> })
    const [first, again] = [records[0], records[100]]
    expect(again?.url).toBe(first?.url)
    expect(again?.summary).toBe(first?.summary)
    expect(first?.input['id']).toBe('1')
    expect(again?.input['id']).toBe('101')
  })

  it('JSON Lines in: CSV out reads back the same cells (Python csv and json)', async () => {
    const result = await summarize(join(dir, 'in.jsonl'), join(dir, 'from-jsonl.csv'))
    expect(result.code, result.stderr).toBe(1)
    const check = await pythonCheck(join(dir, 'in.jsonl'), join(dir, 'from-jsonl.csv'))
    expect(check.mismatch).toBeNull()
    expect(check).toMatchObject({ rows: ROWS, errorRows: 3 })
  })

  it('Parquet in (written by DuckDB) and CSV in: Parquet out gives DuckDB the input columns, then ours', async () => {
    for (const input of ['in.parquet', 'in.csv']) {
      const out = join(dir, `from-${input}.parquet`)
      const result = await summarize(join(dir, input), out)
      expect(result.code, result.stderr).toBe(1)
      const described = await query(`DESCRIBE SELECT * FROM read_parquet('${out}')`)
      const names = described.map((row) => row['column_name'])
      expect(names.slice(0, TABLE_COLUMNS.length)).toEqual([...TABLE_COLUMNS])
      expect(names).toEqual(expect.arrayContaining(['line', 'out_url', 'status', 'summary', 'errorCode']))
      const got = await query(`SELECT ${TABLE_COLUMNS.map((c) => `"${c}"`).join(', ')}, line, status, "errorCode" FROM read_parquet('${out}')`)
      const want = await query(`SELECT ${TABLE_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM read_csv('${join(dir, 'in.csv')}', all_varchar = true, header = true)`)
      expect(got.map((row) => row['line'])).toEqual(Array.from({ length: ROWS }, (_, i) => String(i + 1)))
      expect(got.map((row) => Object.fromEntries(TABLE_COLUMNS.map((c) => [c, row[c] ?? ''])))).toEqual(want.map((row) => Object.fromEntries(TABLE_COLUMNS.map((c) => [c, row[c] ?? '']))))
      expect(got.filter((row) => row['status'] === 'error').map((row) => row['errorCode'])).toEqual(['INVALID_URL', 'INVALID_URL', 'INVALID_URL'])
    }
  }, 120_000)
})

describe('reading a table: refusals and hints', () => {
  it('a table without its URL column is a usage error naming the columns it has, before any page is fetched', async () => {
    const path = join(dir, 'links.tsv')
    await writeFile(path, `link\tname\n${pages.url}/p/1\tone\n`)
    const before = pages.requests.length
    const refused = await runCli([path, '--provider', 'extractive'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('has no column `url`: its columns are `link`, `name`; name the URL column with --url-column NAME')
    expect(pages.requests.length).toBe(before)
    const named = await runCli([path, '--provider', 'extractive', '--url-column', 'link', '--quiet'])
    expect(named.code, named.stderr).toBe(0)
    expect(JSON.parse(named.stdout)).toMatchObject({ line: 1, status: 'ok', input: { link: `${pages.url}/p/1`, name: 'one' } })
  })

  it('a list file that looks like a table gets a one-line hint', async () => {
    const path = join(dir, 'table.txt')
    await writeFile(path, `url,title\n${pages.url}/p/1,One\n`)
    const result = await runCli([path, '--provider', 'extractive'])
    const hints = result.stderr.split('\n').filter((line) => line.includes('looks like a CSV table'))
    expect(hints).toHaveLength(1)
    expect(hints[0]).toContain('--input-format csv')
  })

  it('--keep-columns chooses the cells records carry; an unknown name is refused', async () => {
    const kept = await runCli([join(dir, 'in.csv'), '--provider', 'extractive', '--quiet', '--keep-columns', '名前,id'])
    const first = JSON.parse(kept.stdout.split('\n')[0] ?? '') as { input: Record<string, string> }
    expect(Object.keys(first.input)).toEqual(['名前', 'id'])
    const refused = await runCli([join(dir, 'in.csv'), '--provider', 'extractive', '--keep-columns', 'nope'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('--keep-columns names `nope`, not a column')
  })
})
