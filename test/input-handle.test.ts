import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const index = fileURLToPath(new URL('../src/index.ts', import.meta.url))

/**
 * A job on a list file, in a child Node with `--expose-gc`: after the job, the garbage
 * collector runs, and any file handle left open is reported as a process warning
 * ("Closing file descriptor N on garbage collection"), which the script prints.
 */
async function warningsAfter(job: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'su-handle-'))
  await writeFile(join(dir, 'urls.txt'), 'http://127.0.0.1:9/a\nhttp://127.0.0.1:9/b\n')
  await writeFile(join(dir, 'notes.jsonl'), 'my shopping list\n')
  const script = `
    import { summarizeFile } from ${JSON.stringify(index)}
    process.on('warning', (warning) => console.log('WARNING', warning.message))
    const input = ${JSON.stringify(join(dir, 'urls.txt'))}
    const dir = ${JSON.stringify(dir)}
    try { ${job} } catch {}
    for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setTimeout(resolve, 20)) }
  `
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root })
  return stdout
}

describe('the list file of a job', () => {
  it('is closed when --resume is refused', async () => {
    expect(await warningsAfter(`await summarizeFile(input, { out: dir + '/notes.jsonl', resume: true }, { provider: 'extractive' })`)).toBe('')
  }, 30_000)

  it('is closed when a hook throws before the first page', async () => {
    expect(await warningsAfter(`await summarizeFile(input, { out: dir + '/out.jsonl' }, { provider: 'extractive' }, { onStart: () => { throw new Error('no') } })`)).toBe('')
  }, 30_000)

  it('is closed when the job is stopped before it reads the list', async () => {
    expect(await warningsAfter(`await summarizeFile(input, { out: dir + '/out.jsonl' }, { provider: 'extractive' }, { stopSignal: AbortSignal.abort() })`)).toBe('')
  }, 30_000)
})
