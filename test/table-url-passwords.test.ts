import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'

// Distinctive, so a hit can only be a leak: no page of the corpus holds it.
const PASSWORD = 'Pw-table-9qZ4'

let pages: StaticServer
let dir: string

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-table-secrets-'))
})
afterAll(async () => {
  await pages?.close()
  rmSync(dir, { recursive: true, force: true })
})

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((name) => join(root, name))
    .filter((path) => statSync(path).isFile())
}

describe('a password in a table URL cell', () => {
  it('reaches no output (the kept url column included) and no cache file, and --resume still matches the rows', async () => {
    const [first, second] = corpusPageNames()
    const secret = (path: string) => `${pages.url.replace('http://', `http://reader:${PASSWORD}@`)}/${path}`
    const csv = join(dir, 'in.csv')
    writeFileSync(csv, `url,id\n${secret(`${first}/source.html`)},a\n${secret('no-such-page/')},b\n`)
    const jsonl = join(dir, 'in.jsonl')
    writeFileSync(jsonl, `${JSON.stringify({ url: secret(`${second}/source.html`), id: 'c' })}\n`)
    const cache = join(dir, 'cache')
    const common = ['--provider', 'extractive', '--cache-dir', cache, '--threads', '1', '-q']
    expect((await runCli([csv, '-o', join(dir, 'out.csv'), ...common])).code).toBe(1)
    expect((await runCli([csv, '-o', join(dir, 'out.jsonl'), ...common])).code).toBe(1)
    expect((await runCli([jsonl, '-o', join(dir, 'out2.jsonl'), ...common])).code).toBe(0)

    const records = parseJsonl(readFileSync(join(dir, 'out.jsonl'), 'utf8'))
    expect(records.map((record) => (record.input as { id: string }).id)).toEqual(['a', 'b'])
    expect((records[0]!.input as { url: string }).url).toBe(`${pages.url}/${first}/source.html`)
    const leaks = filesUnder(dir).filter((path) => !path.endsWith('in.csv') && !path.endsWith('in.jsonl') && readFileSync(path).includes(PASSWORD))
    expect(leaks).toEqual([])

    // The redacted cell is what --resume compares: the ok row is kept, the failed one redone.
    const resumed = await runCli([csv, '-o', join(dir, 'out.jsonl'), '--resume', ...common])
    expect(resumed.code).toBe(1)
    const again = parseJsonl(readFileSync(join(dir, 'out.jsonl'), 'utf8'))
    expect(again.map((record) => [(record.input as { id: string }).id, record.status])).toEqual([['a', 'ok'], ['b', 'error']])
    expect(readFileSync(join(dir, 'out.jsonl')).includes(PASSWORD)).toBe(false)
  })
})
