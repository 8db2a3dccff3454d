/**
 * Acceptance check of table input at scale (issue 21): a hostile CSV (BOM, CRLF, quoted
 * commas, quoted line breaks, non-ASCII columns, 50 rows without a usable URL) of 10,000 and
 * of 100,000 rows, summarized offline (`--provider extractive`) against a local page server
 * by the built bin, to CSV. For each size: wall time, the bin's peak RSS (`/usr/bin/time
 * -f %M`), and Python's csv module reading input and output back (`bench/table_check.py`:
 * one output row per input row, in order, every input cell identical, errors naming rows).
 *
 *     npm run build && npx tsx bench/table-scale.ts [rows...]     (default: 10000 100000)
 *
 * Prints one JSON line per size and the ratio of the largest run's peak RSS to the smallest's.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { writeHostileTable } from './tables.js'

const run = promisify(execFile)
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))
const check = fileURLToPath(new URL('./table_check.py', import.meta.url))
/** Rows without a usable URL in every run, whatever its size (the acceptance asks for 50). */
const BAD_ROWS = 50

// A short article: the run measures reading and writing the table, not extraction.
const page = (path: string): string =>
  `<!doctype html><html lang="en"><head><title>Page ${path}</title></head><body><article><h1>Page ${path}</h1>${Array.from({ length: 4 }, (_, i) => `<p>Sentence ${i} about the page ${path}, which says something worth a summary.</p>`).join('')}</article></body></html>`

const server = createServer((req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(page(req.url ?? '')))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const address = server.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
const dir = await mkdtemp(join(tmpdir(), 'table-scale-'))
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
const results: Array<{ rows: number; seconds: number; peakRssMiB: number; inputMiB: number; check: unknown }> = []
try {
  for (const rows of sizes.length > 0 ? sizes : [10_000, 100_000]) {
    const input = join(dir, `in-${rows}.csv`)
    const out = join(dir, `out-${rows}.csv`)
    await writeHostileTable(input, rows, base, { badEvery: Math.floor(rows / BAD_ROWS) })
    const started = performance.now()
    // Exit 1: the 50 bad rows failed, as they must.
    const { stderr } = await run('/usr/bin/time', ['-f', 'peak-rss-kib %M', process.execPath, bin, input, '--provider', 'extractive', '--strategy', 'pool', '--concurrency', '64', '--quiet', '--out', out], { maxBuffer: 1 << 24 }).catch((error: { stderr: string; code: number }) => {
      if (error.code !== 1) throw error
      return error
    })
    const seconds = (performance.now() - started) / 1000
    const peak = Number(/peak-rss-kib (\d+)/.exec(stderr)?.[1] ?? NaN)
    const { stdout } = await run('python3', [check, input, out], { maxBuffer: 1 << 24 })
    const result = { rows, seconds: Math.round(seconds * 10) / 10, peakRssMiB: Math.round(peak / 1024), inputMiB: Math.round((await stat(input)).size / 1024 / 1024), check: JSON.parse(stdout) }
    results.push(result)
    console.log(JSON.stringify(result))
  }
  const [small, large] = [results[0], results.at(-1)]
  if (small !== undefined && large !== undefined && small !== large) {
    console.log(JSON.stringify({ peakRssRatio: Math.round((large.peakRssMiB / small.peakRssMiB) * 100) / 100, rows: [small.rows, large.rows] }))
  }
} finally {
  server.close()
  await rm(dir, { recursive: true, force: true })
}
