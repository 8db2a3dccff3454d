import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-pipe-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('`cache stats | head -1`', () => {
  it('ends quietly with the SIGPIPE status when the reader has closed the pipe, not with an unhandled EPIPE stack', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, 'cache', 'stats', '--cache-dir', join(dir, 'cache')], { stdio: ['ignore', 'pipe', 'pipe'] })
    // The reader is gone before the command can write its first line (loading it takes far longer).
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /)
    expect(code).toBe(141)
  })
})
