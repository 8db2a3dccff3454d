/**
 * Issue 10's acceptance workload, for `bench/extract.ts --explosive`: the 90 corpus pages from
 * a local server, alone and then with the four explosive pages of test/helpers/explosive-pages.ts
 * among them, through each strategy with the offline summarizer. Each run is a child process,
 * so its peak RSS is its own. Prints, per strategy, the wall time of both lists, their ratio,
 * the peak RSS, and the records (the explosive pages must be PAGE_TOO_COMPLEX, the rest ok).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { CORPUS_DIR, corpusPageNames } from '../test/helpers/corpus.js'
import { EXPLOSIVE_PAGES } from '../test/helpers/explosive-pages.js'
import { runLines } from '../test/helpers/run.js'
import { startServer } from '../test/helpers/servers.js'

type Strategy = 'sequential' | 'async' | 'pool'
type List = 'ordinary' | 'mixed'

interface ChildResult {
  wallMs: number
  peakRssMb: number
  ok: number
  tooComplex: number
  other: number
}

const STRATEGIES: Strategy[] = ['sequential', 'async', 'pool']
const SELF = fileURLToPath(import.meta.url)

export async function runExplosive(json: boolean): Promise<void> {
  const rows = STRATEGIES.map((strategy) => {
    const [ordinary, mixed] = (['ordinary', 'mixed'] as const).map((list) => child(strategy, list))
    return { strategy, ordinary: ordinary as ChildResult, mixed: mixed as ChildResult }
  })
  if (json) {
    console.log(JSON.stringify(rows, null, 2))
    return
  }
  console.log(`90 corpus pages alone, then with ${Object.keys(EXPLOSIVE_PAGES).length} explosive pages among them (extractive summarizer)`)
  console.log('strategy    ordinary s  mixed s  ratio  peak RSS MB (ordinary / mixed)  mixed records')
  for (const { strategy, ordinary, mixed } of rows) {
    console.log(
      `${strategy.padEnd(10)}  ${(ordinary.wallMs / 1000).toFixed(2).padStart(10)}  ${(mixed.wallMs / 1000).toFixed(2).padStart(7)}  ${(mixed.wallMs / ordinary.wallMs).toFixed(2).padStart(5)}  ${`${ordinary.peakRssMb} / ${mixed.peakRssMb}`.padStart(30)}  ${mixed.ok} ok, ${mixed.tooComplex} PAGE_TOO_COMPLEX, ${mixed.other} other`,
    )
  }
}

function child(strategy: Strategy, list: List): ChildResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', SELF, strategy, list], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
  return JSON.parse(out) as ChildResult
}

async function runChild(strategy: Strategy, list: List): Promise<ChildResult> {
  const pages = new Map<string, Buffer | string>(corpusPageNames().map((name) => [`/corpus/${name}`, readFileSync(join(CORPUS_DIR, name, 'source.html'))]))
  if (list === 'mixed') for (const [path, { body }] of Object.entries(EXPLOSIVE_PAGES)) pages.set(path, body)
  const server = await startServer((req, res) => {
    const body = pages.get(req.url ?? '/')
    if (body === undefined) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body)
  })
  // The explosive pages spread evenly through the list.
  const paths = [...pages.keys()].filter((p) => p.startsWith('/corpus/'))
  const explosive = [...pages.keys()].filter((p) => !p.startsWith('/corpus/'))
  explosive.forEach((path, i) => paths.splice(Math.round(((i + 1) * paths.length) / (explosive.length + 1)), 0, path))
  const started = performance.now()
  const { records } = await runLines(
    paths.map((p) => server.url + p),
    { strategy, ...(strategy === 'sequential' ? {} : { concurrency: 8 }), threads: 2 },
  )
  const wallMs = Math.round(performance.now() - started)
  await server.close()
  return {
    wallMs,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ok: records.filter((r) => r.status === 'ok').length,
    tooComplex: records.filter((r) => r.error?.code === 'PAGE_TOO_COMPLEX').length,
    other: records.filter((r) => r.status === 'error' && r.error.code !== 'PAGE_TOO_COMPLEX').length,
  }
}

if (process.argv[1] === SELF) {
  const [strategy, list] = process.argv.slice(2) as [Strategy, List]
  console.log(JSON.stringify(await runChild(strategy, list)))
  process.exit(0)
}
