/**
 * A hostile table for the table-input checks (test/table-io.test.ts, bench/table-scale.ts):
 * a BOM, CRLF line ends, quoted commas and quotes, line breaks inside quotes, non-ASCII
 * column names and cells, and rows without a usable URL, every `badEvery`th row. Written
 * as a stream, so a 100,000-row file costs no memory to make.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'

export const TABLE_COLUMNS = ['id', 'url', 'title', 'notes', '名前', 'score'] as const

/** The bad URL cells, in turn: empty, blank, not a URL, not http(s). */
const BAD_URLS = ['', '   ', 'not a url', 'ftp://example.com/file']

export interface HostileRow {
  id: string
  url: string
  title: string
  notes: string
  名前: string
  score: string
}

/** Row `n` (1-based): its URL is `${base}/p/${n % distinct}` unless it is a bad row. */
export function hostileRow(n: number, base: string, options: { badEvery: number; distinct?: number }): HostileRow {
  const bad = options.badEvery > 0 && n % options.badEvery === 0
  const page = options.distinct === undefined ? n : (n % options.distinct) + 1
  return {
    id: String(n),
    url: bad ? (BAD_URLS[(n / options.badEvery) % BAD_URLS.length] as string) : `${base}/p/${page}`,
    title: `Row ${n}, "quoted", with commas, and a trailing space `,
    notes: n % 3 === 0 ? `first line of ${n}\r\nsecond line, with a comma\nthird "line"` : `plain ${n}`,
    名前: n % 2 === 0 ? `名前 ${n} — café ☕` : `Ünïcødé ${n} 🙂`,
    score: n % 7 === 0 ? '' : String((n * 37) % 1000 / 10),
  }
}

function csvCell(text: string, delimiter: string): string {
  return text.includes('"') || text.includes(delimiter) || /[\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text
}

/** Writes `rows` rows as CSV (or TSV with `delimiter: '\t'`), BOM and CRLF included. */
export async function writeHostileTable(path: string, rows: number, base: string, options: { badEvery: number; distinct?: number; delimiter?: ',' | '\t' }): Promise<void> {
  const delimiter = options.delimiter ?? ','
  const out = createWriteStream(path)
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain')
  }
  await write(`\uFEFF${TABLE_COLUMNS.map((c) => csvCell(c, delimiter)).join(delimiter)}\r\n`)
  for (let n = 1; n <= rows; n += 1) {
    const row = hostileRow(n, base, options)
    await write(`${TABLE_COLUMNS.map((c) => csvCell(row[c], delimiter)).join(delimiter)}\r\n`)
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
}

/** The same rows as JSON Lines (pandas' `to_json(orient='records', lines=True)`). */
export async function writeHostileJsonl(path: string, rows: number, base: string, options: { badEvery: number; distinct?: number }): Promise<void> {
  const out = createWriteStream(path)
  for (let n = 1; n <= rows; n += 1) {
    if (!out.write(`${JSON.stringify(hostileRow(n, base, options))}\n`)) await once(out, 'drain')
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
}
