import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { runCli } from './helpers/cli.js'

// Pages are held, so the interruption surely comes while `batch prepare` is fetching.
const held: ServerResponse[] = []
const server = createServer((_req, res) => void held.push(res))
let base: string
let dir: string

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-prepare-interrupt-'))
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

describe('Ctrl-C during batch prepare', () => {
  it('is an interruption (exit 130, one line), not an "unexpected error (please report it)" with exit 2', async () => {
    const table = join(dir, 'in.csv')
    writeFileSync(table, `url,id\n${[1, 2, 3].map((n) => `${base}/page-${n},r${n}`).join('\n')}\n`)
    const stop = new AbortController()
    const running = runCli(['batch', 'prepare', table, '-o', join(dir, 'records.jsonl'), '--threads', '1'], { signal: stop.signal })
    await vi.waitFor(() => expect(held.length).toBeGreaterThan(0), { timeout: 30_000 })
    stop.abort(new Error('interrupted'))
    const result = await running
    expect(result.stderr).not.toMatch(/unexpected error/)
    expect(result.stderr).toMatch(/prepare interrupted/)
    expect(result.code).toBe(130)
  })
})
