import yargs from 'yargs'
import { describe, expect, it } from 'vitest'
import { resolveJobOptions } from '../src/options.js'
import { JOB_OPTIONS } from '../src/options/job.js'
import { optionsTable } from '../src/options/markdown.js'
import { SECONDS_AS_MS, type OptionsOf, type Table } from '../src/options/table.js'
import { fromArgs, yargsOptions } from '../src/options/yargs.js'

// The job's real table plus three rows that exist only here: each is declared once, below,
// and nothing else is edited, yet each reaches --help, validation, its default, the CLI
// mapping, the resolved options (typed) and the README table.
const TABLE = {
  ...JOB_OPTIONS,
  maxPagesPerHost: { flag: 'max-pages-per-host', kind: 'integer', min: 1, max: 1000, default: 50, group: 'Fetching:', help: 'pages fetched from one host' },
  hostDelayMs: { flag: 'host-delay', kind: 'integer', min: 0, max: 60_000, cliUnit: SECONDS_AS_MS, arg: 'S', default: 500, group: 'Fetching:', help: 'seconds between two requests to one host' },
  temperature: { flag: 'temperature', kind: 'number', min: 0, max: 1, defaultText: "the model's", group: 'Summarizer:', help: 'sampling temperature' },
} as const satisfies Table

function parser(argv: string[]) {
  return yargs(argv)
    .options(yargsOptions(TABLE))
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new Error(message)
    })
}

/** Command line to resolved options, the way the CLI does it. */
function resolveArgv(argv: string[]) {
  const args = parser(argv).parseSync() as Record<string, unknown>
  return resolveJobOptions(TABLE, fromArgs(TABLE, args).options)
}

describe('an option added once to a table', () => {
  it('appears in --help, with its group, help line and default in the unit typed', async () => {
    const help = await parser([]).getHelp()
    expect(help).toMatch(/--max-pages-per-host\s+pages fetched from one host\s+\[number\] \[default: 50\]/)
    expect(help).toMatch(/--host-delay\s+seconds between two requests to one host\s+\[number\] \[default: 0\.5\]/)
    expect(help).toMatch(/--temperature\s+sampling temperature\s+\[number\] \[default: the model's\]/)
    expect(help.indexOf('--temperature')).toBeLessThan(help.indexOf('Rate control:'))
  })

  it('gets its default, and arrives typed in the resolved options beside the job defaults', () => {
    const resolved = resolveArgv([])
    const perHost: number = resolved.maxPagesPerHost
    const delayMs: number = resolved.hostDelayMs
    const temperature: number | undefined = resolved.temperature
    expect({ perHost, delayMs, temperature }).toEqual({ perHost: 50, delayMs: 500, temperature: undefined })
    expect(resolved).toMatchObject({ provider: 'auto', concurrency: 16, reorderWindow: 256 })
  })

  it('takes its value from the command line, converted to the library unit', () => {
    expect(resolveArgv(['--max-pages-per-host', '3', '--host-delay', '1.5', '--temperature', '0.2'])).toMatchObject({ maxPagesPerHost: 3, hostDelayMs: 1500, temperature: 0.2 })
  })

  it('is refused out of range with the one message style, in the unit the user typed', () => {
    expect(() => resolveArgv(['--max-pages-per-host', '0'])).toThrow(new TypeError('--max-pages-per-host must be an integer from 1 to 1000, got `0`'))
    expect(() => resolveArgv(['--host-delay', '120'])).toThrow(new TypeError('--host-delay must be a number of seconds from 0 to 60, got `120`'))
    expect(() => resolveArgv(['--temperature', '1.5'])).toThrow(new TypeError('--temperature must be a number from 0 to 1, got `1.5`'))
  })

  it('is a typed library option, checked by the same resolver', () => {
    const options: OptionsOf<typeof TABLE> = { maxPagesPerHost: 7, strategy: 'async' }
    expect(resolveJobOptions(TABLE, options)).toMatchObject({ maxPagesPerHost: 7, strategy: 'async' })
    expect(() => resolveJobOptions(TABLE, { maxPagesPerHost: 2.5 })).toThrow('--max-pages-per-host must be an integer from 1 to 1000, got `2.5`')
  })

  it('gets a row in the README table', () => {
    const markdown = optionsTable(TABLE)
    expect(markdown).toContain('| `--max-pages-per-host N` | `50` | pages fetched from one host |')
    expect(markdown).toContain('| `--host-delay S` | `0.5` | seconds between two requests to one host |')
    expect(markdown).toContain("| `--temperature N` | the model's | sampling temperature |")
  })

  it('keeps the cross-option rules of the job', () => {
    expect(() => resolveArgv(['--strategy', 'sequential', '--concurrency', '4'])).toThrow(new RangeError('--concurrency must be 1 with --strategy sequential, got `4`'))
    expect(resolveArgv(['--strategy', 'sequential']).concurrency).toBe(1)
  })
})
