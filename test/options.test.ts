import { describe, expect, it } from 'vitest'
import { DEFAULTS, resolveOptions } from '../src/options.js'
import { JOB_OPTIONS } from '../src/options/job.js'
import { runCli } from './helpers/cli.js'

describe('resolveOptions', () => {
  it('fills every default once, with 16 in flight for every strategy but sequential', () => {
    const resolved = resolveOptions({})
    expect(resolved).toMatchObject({ provider: 'auto', strategy: 'pool', concurrency: 16, maxChars: 150, maxInputChars: 12_000, retries: 5, maxPageBytes: 5 * 1024 * 1024, maxRedirects: 5 })
    expect(resolved.threads).toBeGreaterThanOrEqual(1)
    expect(resolveOptions({ strategy: 'sequential' }).concurrency).toBe(1)
    expect(resolveOptions({ strategy: 'async' }).concurrency).toBe(DEFAULTS.concurrency)
  })

  it('names the option, the expected range and the value it got', () => {
    expect(() => resolveOptions({ concurrency: 0 })).toThrow(new TypeError('--concurrency must be an integer from 1 to 10000, got `0`'))
    expect(() => resolveOptions({ maxChars: 1.5 })).toThrow('--max-chars must be an integer from 0 to 100000, got `1.5`')
    expect(() => resolveOptions({ threads: Number.NaN })).toThrow('--threads must be an integer')
    expect(() => resolveOptions({ strategy: 'threads' as never })).toThrow('--strategy must be one of sequential, async, pool, got `threads`')
    expect(() => resolveOptions({ endpointUrl: 'localhost:8787' })).toThrow('--endpoint-url must be an http: or https: URL, got `localhost:8787`')
    expect(() => resolveOptions({ model: '  ' })).toThrow('--model must be a non-empty string')
  })

  it('rejects conflicting options with a RangeError', () => {
    expect(() => resolveOptions({ strategy: 'sequential', concurrency: 8 })).toThrow(RangeError)
  })

  it('bounds the reorder window by the concurrency, with a floor', () => {
    expect(resolveOptions({ concurrency: 4 }).reorderWindow).toBe(256)
    expect(resolveOptions({ concurrency: 100 }).reorderWindow).toBe(800)
  })
})

describe('the job option table', () => {
  it('gives every row a typed field of SummarizeOptions, checked at run time too', () => {
    // @ts-expect-error concurrency is a number
    expect(() => resolveOptions({ concurrency: '3' })).toThrow('--concurrency must be an integer from 1 to 10000, got `3`')
    // @ts-expect-error no such strategy
    expect(() => resolveOptions({ strategy: 'threads' })).toThrow('--strategy must be one of')
  })

  it('keeps the CLI-only flags out of the library options', () => {
    // @ts-expect-error --out is the command's, not the library's
    const resolved = resolveOptions({ out: 'x.jsonl' })
    expect(resolved).not.toHaveProperty('out')
  })

  it('lists every row in --help, with its default where it has one', async () => {
    const { stdout } = await runCli(['--help'])
    for (const row of Object.values(JOB_OPTIONS)) expect(stdout).toContain(`--${row.flag} `)
    expect(stdout).toMatch(/--fetch-timeout .*\[default: 30\]/s)
    expect(stdout).toMatch(/--threads .*\[default: number of cores\]/s)
    expect(stdout).toMatch(/--strategy .*\[choices: sequential \| async \| pool\]/s)
  })

  it('checks the CLI-only flags with the same message style', async () => {
    expect(await runCli(['urls.txt', '--format', 'xml'])).toMatchObject({ code: 2, stderr: 'summarize-urls: --format must be one of jsonl, csv, md, parquet, got `xml`\n' })
  })
})
