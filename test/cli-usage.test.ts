import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { runCli } from './helpers/cli.js'

describe('usage errors', () => {
  it('an out-of-range option exits 2 with one line naming the option, the range and the value', async () => {
    const result = await runCli(['urls.txt', '--concurrency', '0'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('summarize-urls: --concurrency must be an integer from 1 to 10000, got `0`\n')
  })

  it('a missing input file exits 2 naming the file', async () => {
    const result = await runCli(['/nonexistent/urls.txt', '--provider', 'extractive'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe('summarize-urls: cannot read input `/nonexistent/urls.txt`: no such file\n')
  })

  it('an unknown option or a bad choice exits 2 without a stack trace', async () => {
    for (const argv of [['urls.txt', '--concurency', '3'], ['urls.txt', '--strategy', 'threads']]) {
      const result = await runCli(argv)
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^summarize-urls: .*(concurency|strategy)/)
      expect(result.stderr).not.toContain('    at ')
    }
  })

  it('--provider bedrock without credentials exits 2 before fetching anything', async () => {
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] }
    delete process.env['AWS_ACCESS_KEY_ID']
    delete process.env['AWS_SECRET_ACCESS_KEY']
    try {
      const result = await runCli(['-', '--provider', 'bedrock', '--region', 'us-east-1'], { stdin: 'http://127.0.0.1:9/\n' })
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^summarize-urls: --provider bedrock: no AWS credentials could be resolved/)
      expect(result.stdout).toBe('')
    } finally {
      if (saved.id !== undefined) process.env['AWS_ACCESS_KEY_ID'] = saved.id
      if (saved.secret !== undefined) process.env['AWS_SECRET_ACCESS_KEY'] = saved.secret
    }
  })

  it('--help prints the options and exits 0', async () => {
    const result = await runCli(['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('--max-input-chars')
    expect(result.stdout).toContain('emulator')
  })

  it('reads the URL list from stdin with -', async () => {
    const result = await runCli(['-', '--provider', 'extractive', '--quiet'], { stdin: '# nothing but\nnot-a-url\n' })
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ line: 2, status: 'error', error: { code: 'INVALID_URL', attempts: 1 } })
    expect(result.stderr).toBe('')
  })

  it('second-valued options are checked in seconds, quoting the value as typed', async () => {
    const result = await runCli(['urls.txt', '--fetch-timeout', '-5'])
    expect(result).toMatchObject({ code: 2, stderr: 'summarize-urls: --fetch-timeout must be a number of seconds from 0.001 to 3600, got `-5`\n' })
  })

  it('an option given without its value exits 2 naming it', async () => {
    for (const argv of [['urls.txt', '--concurrency'], ['emulator', '--port']]) {
      const result = await runCli(argv)
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^summarize-urls: Not enough arguments following: (concurrency|port)\n$/)
    }
  })

  it('a repeated option takes its last value', async () => {
    const result = await runCli(['-', '--provider', 'bedrock', '--provider', 'extractive', '--quiet'], { stdin: 'not-a-url\n' })
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({ provider: 'extractive' })
  })

  it('emulator options are validated with their flag names', async () => {
    const result = await runCli(['emulator', '--throttle-rate', '2'])
    expect(result).toMatchObject({ code: 2, stderr: 'summarize-urls: --throttle-rate must be a number from 0 to 1, got `2`\n' })
  })

  it('an input stream that fails mid-way is a one-line error, not a crash', async () => {
    const stdin = new Readable({ read() {} })
    stdin.push('not-a-url\n')
    setTimeout(() => stdin.destroy(Object.assign(new Error('read EIO'), { code: 'EIO' })), 50)
    const stderr = new PassThrough()
    const err: Buffer[] = []
    stderr.on('data', (chunk: Buffer) => err.push(chunk))
    const code = await main(['-', '--provider', 'extractive', '--quiet'], { stdin, stdout: new PassThrough(), stderr, stderrIsTTY: false, signal: new AbortController().signal })
    expect(code).toBe(2)
    expect(Buffer.concat(err).toString('utf8')).toBe('summarize-urls: cannot read the URL list: EIO\n')
  })

  it('refuses to write the records over the URL list itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'summarize-urls-same-'))
    const list = join(dir, 'urls.txt')
    writeFileSync(list, 'https://example.com/\n')
    try {
      const result = await runCli([list, '--provider', 'extractive', '--out', join(dir, '.', 'urls.txt')])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain('is the input file')
      expect(readFileSync(list, 'utf8')).toBe('https://example.com/\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a number option given something else quotes what was typed', async () => {
    for (const [argv, message] of [
      [['urls.txt', '--max-chars', 'abc'], '--max-chars must be a number, got `abc`'],
      [['urls.txt', '--model-timeout=x'], '--model-timeout must be a number, got `x`'],
      [['emulator', '--jitter-ms', 'soon'], '--jitter-ms must be a number, got `soon`'],
      [['urls.txt', '--concurrency', ''], '--concurrency must be a number, got ``'],
      [['urls.txt', '--max-chars= '], '--max-chars must be a number, got ` `'],
    ] as const) {
      const result = await runCli([...argv])
      expect(result).toMatchObject({ code: 2, stderr: `summarize-urls: ${message}\n` })
    }
  })

  it('a switch given a value other than true or false is refused, so --deny-private=yes never turns the check off', async () => {
    for (const [argv, message] of [
      [['-', '--provider', 'extractive', '--deny-private=yes'], '--deny-private is a switch: give it alone (or `=true`, `=false`), got `yes`'],
      [['-', '--provider', 'extractive', '-q=1'], '--quiet is a switch: give it alone (or `=true`, `=false`), got `1`'],
      [['batch', 'status', 'job.json', '--wait=please'], '--wait is a switch: give it alone (or `=true`, `=false`), got `please`'],
    ] as const) {
      const result = await runCli([...argv], { stdin: 'http://127.0.0.1:9/\n' })
      expect(result).toMatchObject({ code: 2, stdout: '', stderr: `summarize-urls: ${message}\n` })
    }
    const accepted = await runCli(['-', '--provider', 'extractive', '--quiet', '--deny-private=true'], { stdin: 'http://127.0.0.1:9/\n' })
    expect(accepted.stdout).toContain('"code":"BLOCKED_ADDRESS"')
  })

  it('a batch job file that is empty, not JSON, null or missing fields is a one-line usage error, not an internal one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'su-job-file-'))
    try {
      const edited = { version: 1, jobs: [{}], preModelErrors: [] }
      for (const content of ['', 'garbage', 'null', '\u0000\u00ff binary', JSON.stringify(edited), JSON.stringify({ ...edited, jobs: [null] })]) {
        const file = join(dir, 'out.jsonl.batch.json')
        writeFileSync(file, content)
        for (const command of ['status', 'collect', 'stop']) {
          const result = await runCli(['batch', command, file, '--region', 'us-east-1'])
          expect(result).toMatchObject({ code: 2, stdout: '' })
          expect(result.stderr).toBe(`summarize-urls: \`${file}\` is not a summarize-urls batch job file\n`)
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
