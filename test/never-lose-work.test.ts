import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, watch } from 'node:fs'
import { link, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseJsonl } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

const run = promisify(execFile)
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

let pages: TestServer
let dir: string
/** The first request for a `/hold…` page waits here until the test lets it go; later ones are answered. */
let held: Array<() => void> = []
const heldOnce = new Set<string>()

// The built bin (built once for every file: test/global-setup.ts) is what users run; these are its exit codes and its stderr.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'su-never-lose-'))
  pages = await startServer((req, res) => {
    const answer = (): void => void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${req.url ?? ''}`))
    const path = req.url ?? ''
    if (path.startsWith('/hold') && !heldOnce.has(path)) {
      heldOnce.add(path)
      held.push(answer)
    } else answer()
  })
}, 120_000)
afterAll(() => pages.close())

/** The bin with its exit code and stderr, however it ends. */
async function runBin(args: string[]): Promise<{ code: number; stderr: string }> {
  return run(process.execPath, [bin, ...args]).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  )
}

function start(args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exit = once(child, 'exit').then(([code]) => code as number | null)
  return { child, stderr: () => stderr, exit }
}

/** Polls an observable condition (a file appears, a request arrives) instead of sleeping a fixed time. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const lines = async (path: string): Promise<Array<Record<string, unknown>>> => parseJsonl(await readFile(path, 'utf8'))
const offline = ['--provider', 'extractive', '--strategy', 'async']

describe('two runs on one --out', () => {
  it('the second stops with exit code 2 and names the first, while the first finishes intact and releases the lock', async () => {
    const input = join(dir, 'two.txt')
    const out = join(dir, 'two.jsonl')
    await writeFile(input, [`${pages.url}/two-a`, `${pages.url}/hold-two`, `${pages.url}/two-c`].join('\n'))
    held = []
    const first = start([input, '--out', out, ...offline, '--quiet'])
    await until(() => held.length === 1 && existsSync(`${out}.lock`), 'the first run to hold its page and its lock')

    const second = await runBin([input, '--out', out, ...offline])

    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`another run (PID ${first.child.pid} on `)
    expect(second.stderr).toContain(`is writing --out \`${out}\``)
    held.shift()!()
    expect(await first.exit).toBe(0)
    expect((await lines(out)).map((r) => [r['line'], r['status']])).toEqual([[1, 'ok'], [2, 'ok'], [3, 'ok']])
    expect(existsSync(`${out}.lock`)).toBe(false)
  })

  it('a second run whose --out is a symlink to the first run\'s file is refused too, and the first file stays intact', async () => {
    const input = join(dir, 'linked.txt')
    const out = join(dir, 'linked.jsonl')
    const link = join(dir, 'link-to-linked.jsonl')
    await writeFile(input, [`${pages.url}/linked-a`, `${pages.url}/hold-linked`, `${pages.url}/linked-c`].join('\n'))
    held = []
    const first = start([input, '--out', out, ...offline, '--quiet'])
    await until(() => held.length === 1 && existsSync(`${out}.lock`), 'the first run to hold its page and its lock')
    await symlink(out, link)

    // Written through the link, the second run truncated the first run's journal and both wrote one file.
    const second = await runBin([input, '--out', link, ...offline])

    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`another run (PID ${first.child.pid} on `)
    expect(second.stderr).toContain(`is writing --out \`${link}\``)
    held.shift()!()
    expect(await first.exit).toBe(0)
    expect((await lines(out)).map((r) => [r['line'], r['status']])).toEqual([[1, 'ok'], [2, 'ok'], [3, 'ok']])
    expect(existsSync(`${out}.lock`)).toBe(false)
  })

  it('a second run whose --out is a hard link to the file the first run created is refused, naming the first', async () => {
    const input = join(dir, 'hard.txt')
    const out = join(dir, 'hard.jsonl')
    const hard = join(dir, 'hard-link.jsonl')
    await writeFile(input, [`${pages.url}/hard-a`, `${pages.url}/hold-hard`, `${pages.url}/hard-c`].join('\n'))
    held = []
    const first = start([input, '--out', out, ...offline, '--quiet'])
    await until(() => held.length === 1 && existsSync(`${out}.lock`), 'the first run to hold its page and its lock')
    await link(out, hard)

    const second = await runBin([input, '--out', hard, ...offline])

    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`another run (PID ${first.child.pid} on `)
    expect(second.stderr).toContain(`is writing --out \`${out}\`, and --out \`${hard}\` is the same file (a hard link)`)
    expect(existsSync(`${hard}.lock`)).toBe(false)
    held.shift()!()
    expect(await first.exit).toBe(0)
    expect((await lines(out)).map((r) => [r['line'], r['status']])).toEqual([[1, 'ok'], [2, 'ok'], [3, 'ok']])
    expect(existsSync(`${out}.lock`)).toBe(false)
  })

  it('two names of one existing file (a hard link made before either run) are one --out: the second run is refused', async () => {
    const input = join(dir, 'names.txt')
    const a = join(dir, 'names-a.jsonl')
    const b = join(dir, 'names-b.jsonl')
    await writeFile(input, [`${pages.url}/names-a`, `${pages.url}/hold-names`, `${pages.url}/names-c`].join('\n'))
    await writeFile(a, '')
    await link(a, b)
    held = []
    const first = start([input, '--out', b, ...offline, '--quiet'])
    await until(() => held.length === 1 && existsSync(`${b}.lock`), 'the first run to hold its page and its lock')

    const second = await runBin([input, '--out', a, ...offline])

    expect(second.code).toBe(2)
    expect(second.stderr).toContain(`another run (PID ${first.child.pid} on `)
    expect(second.stderr).toContain(`is writing --out \`${b}\`, and --out \`${a}\` is the same file (a hard link)`)
    held.shift()!()
    expect(await first.exit).toBe(0)
    expect((await lines(b)).map((r) => [r['line'], r['status']])).toEqual([[1, 'ok'], [2, 'ok'], [3, 'ok']])
    // Free again: a run on the other name now goes through.
    expect((await runBin([input, '--out', a, ...offline, '--quiet'])).code).toBe(0)
  })

  it('a disk that takes no more bytes stops the run with exit code 2 and leaves no lock file behind', async () => {
    const sub = await mkdtemp(join(dir, 'full-'))
    const input = join(dir, 'full.txt')
    await writeFile(input, `${pages.url}/full-a\n`)
    // A file size limit of 0 fails every write with EFBIG, as a full disk fails it with ENOSPC
    // (Node ignores SIGXFSZ): the lock's own file is created and cannot be filled.
    const child = spawn('bash', ['-c', 'ulimit -f 0 && exec "$@"', 'bash', process.execPath, bin, input, '--out', join(sub, 'out.jsonl'), ...offline], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(stderr).toContain(`cannot write --out \`${join(sub, 'out.jsonl')}\`: EFBIG`)
    expect(await readdir(sub)).toEqual([])
  })

  it('a lock left by a killed run is taken over, with a notice, and the resumed run completes the file', async () => {
    const input = join(dir, 'killed.txt')
    const out = join(dir, 'killed.jsonl')
    await writeFile(input, [`${pages.url}/killed-a`, `${pages.url}/hold-killed`, `${pages.url}/killed-c`].join('\n'))
    held = []
    const killed = start([input, '--out', out, ...offline, '--concurrency', '1', '--quiet'])
    await until(() => held.length === 1 && existsSync(`${out}.lock`), 'the run to hold its second page')
    killed.child.kill('SIGKILL')
    await killed.exit
    expect(existsSync(`${out}.lock`)).toBe(true)
    const before = pages.requests.length

    const resumed = await runBin([input, '--out', out, '--resume', ...offline])

    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toContain(`took over \`${out}.lock\` from run PID ${killed.child.pid}`)
    expect(pages.requests.slice(before).sort()).toEqual(['/hold-killed', '/killed-c'])
    expect((await lines(out)).map((r) => [r['line'], r['status']])).toEqual([[1, 'ok'], [2, 'ok'], [3, 'ok']])
    expect(existsSync(`${out}.lock`)).toBe(false)
    held.shift()?.()
  })
})

describe('an input that cannot be read', () => {
  it('leaves an earlier --out file as it was: a CSV whose first row never closes its quote is refused before the output is opened', async () => {
    const input = join(dir, 'broken-quote.csv')
    await writeFile(input, `url,title\n"${pages.url}/a,first\n${pages.url}/b,second\n`)
    for (const name of ['earlier.jsonl', 'earlier.csv']) {
      const out = join(dir, name)
      await writeFile(out, 'the records of an earlier run\n')
      const { code, stderr } = await runBin([input, '--provider', 'extractive', '--out', out])
      expect(code).toBe(2)
      expect(stderr).toContain('is never closed')
      expect(await readFile(out, 'utf8')).toBe('the records of an earlier run\n')
    }
    expect(existsSync(join(dir, 'never-made.jsonl'))).toBe(false)
    expect((await runBin([input, '--provider', 'extractive', '--out', join(dir, 'never-made.jsonl')])).code).toBe(2)
    expect(existsSync(join(dir, 'never-made.jsonl'))).toBe(false)
  })
})

describe('--resume with a changed list', () => {
  it('matches finished work by URL: a reordered, grown and shrunk list re-fetches nothing done, and the records of dropped URLs are kept and announced', async () => {
    const input = join(dir, 'changed.txt')
    const out = join(dir, 'changed.jsonl')
    const url = (name: string): string => `${pages.url}/changed-${name}`
    const original = ['u1', 'u2', 'u3', 'u4', 'u5'].map(url)
    await writeFile(input, original.join('\n'))
    expect((await runBin([input, '--out', out, ...offline, '--quiet'])).code).toBe(0)
    const first = new Map((await lines(out)).map((r) => [r['url'], r]))
    const before = pages.requests.length

    // A line inserted at the top, lines swapped, a URL twice, two URLs gone, one new at the end.
    const changed = [url('new0'), url('u3'), url('u1'), url('u1'), url('u5'), url('new6')]
    await writeFile(input, changed.join('\n'))
    const resumed = await runBin([input, '--out', out, '--resume', ...offline])

    expect(resumed.code).toBe(0)
    expect(pages.requests.slice(before).sort()).toEqual(['/changed-new0', '/changed-new6'])
    const records = await lines(out)
    expect(records.map((r) => [r['line'], r['url']])).toEqual(changed.map((u, i) => [i + 1, u]))
    expect(records[1]).toEqual({ ...first.get(url('u3')), line: 2 })
    expect(records[2]).toEqual({ ...first.get(url('u1')), line: 3 })
    expect(records[3]).toEqual({ ...first.get(url('u1')), line: 4 })
    expect((await lines(`${out}.orphaned.jsonl`)).map((r) => r['url'])).toEqual([url('u2'), url('u4')])
    expect(resumed.stderr).toContain(`2 finished records are for URLs this input no longer has: kept in \`${out}.orphaned.jsonl\``)

    // Back to the original list: the kept records come back, and nothing is fetched.
    await writeFile(input, original.join('\n'))
    const restored = await runBin([input, '--out', out, '--resume', ...offline, '--quiet'])
    expect(restored.code).toBe(0)
    expect(pages.requests.length - before).toBe(2)
    expect((await lines(out)).map((r) => [r['line'], r['url']])).toEqual(original.map((u, i) => [i + 1, u]))
    expect((await lines(out))[1]).toEqual(first.get(url('u2')))
    // Now the two pages only the changed list had are the ones kept aside.
    expect((await lines(`${out}.orphaned.jsonl`)).map((r) => r['url'])).toEqual([url('new0'), url('new6')])
  })

  it('a hand-edited record with line 4,000,000,000 is matched by its URL and renumbered, at once', async () => {
    const input = join(dir, 'huge.txt')
    const out = join(dir, 'huge.jsonl')
    const far = `${pages.url}/huge-far`
    await writeFile(out, `${JSON.stringify(okRecord(4_000_000_000, far, 'x'))}\n`)
    await writeFile(input, [`${pages.url}/huge-near`, far].join('\n'))
    const before = pages.requests.length
    const started = Date.now()

    const resumed = await runBin([input, '--out', out, '--resume', ...offline, '--quiet'])

    expect(resumed.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(pages.requests.slice(before)).toEqual(['/huge-near'])
    expect((await lines(out)).map((r) => [r['line'], r['url']])).toEqual([
      [1, `${pages.url}/huge-near`],
      [2, far],
    ])
  }, 30_000)
})

describe('a SIGKILL while the file is put in order', () => {
  it('leaves a temporary file that the next run on that --out removes, and the next run ends with the whole file in order', async () => {
    const input = join(dir, 'big.txt')
    const out = join(dir, 'big.jsonl')
    // Large enough that the rewrite takes a visible while: every record is renumbered.
    const count = 20_000
    const summary = 'A sentence that pads the record to the size of a real summary. '.repeat(30)
    const urls = Array.from({ length: count }, (_, i) => `${pages.url}/big-${i}`)
    await writeFile(input, urls.join('\n'))
    await writeFile(out, urls.map((u, i) => JSON.stringify(okRecord(count - i + 100, u, summary))).join('\n') + '\n')
    const before = pages.requests.length

    const killed = start([input, '--out', out, '--resume', ...offline, '--quiet'])
    const temporary = await new Promise<string>((resolve) => {
      const watcher = watch(dir, (_event, name) => {
        if (name?.startsWith('big.jsonl.compacting-') !== true) return
        killed.child.kill('SIGKILL')
        watcher.close()
        resolve(name)
      })
    })
    await killed.exit
    expect(existsSync(join(dir, temporary))).toBe(true)

    const finished = await runBin([input, '--out', out, '--resume', ...offline, '--quiet'])

    expect(finished.code).toBe(0)
    expect((await readdir(dir)).filter((name) => name.startsWith('big.jsonl.'))).toEqual([])
    const records = await lines(out)
    expect(records).toHaveLength(count)
    expect(records.every((r, i) => r['line'] === i + 1 && r['url'] === urls[i])).toBe(true)
    expect(pages.requests.length).toBe(before)
  }, 120_000)
})

function okRecord(line: number, url: string, summary: string): Record<string, unknown> {
  return {
    line,
    url,
    finalUrl: url,
    status: 'ok',
    title: 'A page',
    lang: 'en',
    summary,
    truncated: false,
    provider: 'extractive',
    model: 'extractive',
    usage: null,
    timingsMs: { fetch: 1, extract: 1, summarize: 1, total: 3 },
    error: null,
  }
}
