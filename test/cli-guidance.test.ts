import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { closest } from '../src/cli/suggest.js'
import { runCli } from './helpers/cli.js'

// The built bin (test/global-setup.ts builds dist/ once), as a newcomer runs it.
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'summarize-urls-guidance-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function runBin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

describe('the built bin leaves a newcomer no guessing', () => {
  it('with no arguments, says what it needs and shows the two commands to start with', async () => {
    const { code, stdout, stderr } = await runBin([])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      [
        'summarize-urls: no input: give a file with one URL a line, or - to read them from stdin',
        'To start:',
        '  summarize-urls demo                         summarize the bundled sample pages, offline',
        '  summarize-urls urls.txt > summaries.jsonl   summarize the pages listed in urls.txt (one URL a line)',
        'summarize-urls --help lists every command and option.',
        '',
      ].join('\n'),
    )
  })

  it('reads a mistyped command as one, not as a missing input file', async () => {
    expect(await runBin(['emulatr'])).toMatchObject({ code: 2, stderr: 'summarize-urls: cannot read input `emulatr`: no such file; did you mean the command `summarize-urls emulator`?\n' })
  })

  it('names the closest flag for a mistyped one', async () => {
    expect(await runBin(['urls.txt', '--threds', '4'])).toMatchObject({ code: 2, stderr: 'summarize-urls: Unknown argument: threds; did you mean --threads?\n' })
  })

  it('accepts enum values in any case: --format CSV writes CSV', async () => {
    const list = join(dir, 'urls.txt')
    writeFileSync(list, 'not-a-url\n')
    const { code, stdout, stderr } = await runBin([list, '--format', 'CSV', '--provider', 'Extractive', '--quiet'])
    expect(stderr).toBe('')
    expect(code).toBe(1)
    expect(stdout).toMatch(/^line,url,finalUrl,status,/)
    expect(stdout).toContain('INVALID_URL')
  })
})

describe('suggestions', () => {
  it('name the flag of the command that was typed', async () => {
    expect(await runCli(['emulator', '--prot', '8787'])).toMatchObject({ code: 2, stderr: 'summarize-urls: Unknown argument: prot; did you mean --port?\n' })
    expect(await runCli(['bench', '--qiuck'])).toMatchObject({ code: 2, stderr: 'summarize-urls: Unknown argument: qiuck; did you mean --quick?\n' })
    expect(await runCli(['bench', 'tnue'])).toMatchObject({ code: 2, stderr: 'summarize-urls: Unknown argument: tnue; did you mean the command `summarize-urls tune`?\n' })
  })

  it('stay quiet when nothing is close, and for a missing file that reads like a path', async () => {
    expect(await runCli(['urls.txt', '--zzzz', '1'])).toMatchObject({ code: 2, stderr: 'summarize-urls: Unknown argument: zzzz\n' })
    expect(await runCli(['./emulatr'])).toMatchObject({ code: 2, stderr: 'summarize-urls: cannot read input `./emulatr`: no such file\n' })
    expect(await runCli(['emulatr.txt'])).toMatchObject({ code: 2, stderr: 'summarize-urls: cannot read input `emulatr.txt`: no such file\n' })
  })

  it('count a swap of two letters as one edit, and never read a short word as another', () => {
    expect(closest('prot', ['port', 'host'])).toBe('port')
    expect(closest('Threds', ['threads', 'strategy'])).toBe('threads')
    expect(closest('ab', ['at'])).toBeUndefined()
    expect(closest('xyz', ['emulator', 'demo', 'bench', 'tune'])).toBeUndefined()
  })

  it('a flag given without the input still gets the commands to start with', async () => {
    expect((await runCli(['--provider', 'extractive'])).stderr).toMatch(/^summarize-urls: no input: .*\nTo start:\n/)
  })
})
