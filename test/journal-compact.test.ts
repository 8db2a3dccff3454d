import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compactJournal } from '../src/index.js'
import { parseJsonl } from './helpers/cli.js'

const record = (line: number, status: 'ok' | 'error'): string => JSON.stringify({ line, url: `http://127.0.0.1/${line}`, status, note: `${status} ${line}` })

describe('compactJournal', () => {
  it('puts records in line order, the latest for each line, whatever the line numbers: line 4,000,000,000 costs what line 4 does', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'su-compact-')), 'out.jsonl')
    await writeFile(path, [record(3, 'ok'), record(4_000_000_000, 'ok'), record(2, 'error'), record(1, 'ok'), record(2, 'ok')].join('\n'))
    const started = Date.now()

    const { records } = await compactJournal(path)

    expect(Date.now() - started).toBeLessThan(2_000)
    expect(records).toBe(4)
    expect(parseJsonl(await readFile(path, 'utf8')).map((r) => [r['line'], r['note']])).toEqual([
      [1, 'ok 1'],
      [2, 'ok 2'],
      [3, 'ok 3'],
      [4_000_000_000, 'ok 4000000000'],
    ])
  })

  it('counts bytes exactly when lines end in CRLF', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'su-compact-')), 'crlf.jsonl')
    await writeFile(path, `${record(2, 'ok')}\r\n${record(1, 'ok')}\r\n`)

    await compactJournal(path)

    expect(parseJsonl((await readFile(path, 'utf8')).replaceAll('\r', '')).map((r) => r['line'])).toEqual([1, 2])
  })
})
