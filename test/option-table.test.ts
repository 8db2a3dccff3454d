import yargs from 'yargs'
import { describe, expect, it } from 'vitest'
import { resolveBenchOptions } from '../bench/options.js'
import { resolveTuneOptions } from '../bench/tune-options.js'
import { resolveEmulatorOptions } from '../src/emulator/options.js'
import { resolveJobOptions, resolveOptions } from '../src/options.js'
import { DEMO_OPTIONS } from '../src/options/demo.js'
import { EMULATOR_OPTIONS } from '../src/options/emulator.js'
import { JOB_OPTIONS } from '../src/options/job.js'
import { optionsTable } from '../src/options/markdown.js'
import { SECONDS_AS_MS, type OptionsOf, type Table } from '../src/options/table.js'
import { fromArgs, yargsOptions } from '../src/options/yargs.js'
import { runCli } from './helpers/cli.js'

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

describe('every command on the one table module', () => {
  it('words open-ended and exclusive ranges the same way as closed ones', () => {
    expect(() => resolveEmulatorOptions({ rpm: 0 })).toThrow(new TypeError('--rpm must be an integer of 1 or more, got `0`'))
    expect(() => resolveEmulatorOptions({ latencyMs: Number.POSITIVE_INFINITY })).toThrow(new TypeError('--latency-ms must be a number of milliseconds, 0 or more, got `Infinity`'))
    expect(() => resolveEmulatorOptions({ burstSeconds: 0 })).toThrow(new TypeError('--burst-seconds must be a number of seconds greater than 0, got `0`'))
    expect(resolveEmulatorOptions({ burstSeconds: 0.5, rpm: 10 })).toMatchObject({ burstSeconds: 0.5, rpm: 10, tpm: undefined, port: 0, host: '127.0.0.1' })
  })

  it('accepts the values of every enum row of every command in any case, kept as declared', () => {
    expect(resolveOptions({ strategy: 'ASYNC' as never, provider: 'Extractive' as never })).toMatchObject({ strategy: 'async', provider: 'extractive' })
    expect(resolveBenchOptions({ workloads: ['IO', 'Cpu'] as never, strategies: ['P-Limit'] as never })).toMatchObject({ workloads: ['io', 'cpu'], strategies: ['p-limit'] })
    expect(resolveTuneOptions({ provider: 'Bedrock' as never }).target).toMatchObject({ kind: 'endpoint' })
  })

  it('checks a list value by value, keeps each once, and sorts a sweep', () => {
    expect(resolveTuneOptions({ concurrency: [8, 2, 8] }).concurrency).toEqual([2, 8])
    expect(resolveBenchOptions({ concurrency: [8, 2, 8] }).concurrency).toEqual([8, 2])
    expect(() => resolveBenchOptions({ threads: [] })).toThrow(new TypeError('--threads must be a list of integers from 1 to 256, got an empty list'))
    expect(() => resolveBenchOptions({ workloads: [] })).toThrow('--workload must be one or more of seed, io, cpu, mixed')
    expect(resolveEmulatorOptions({ deniedModels: [] }).deniedModels.size).toBe(0)
    expect(() => resolveEmulatorOptions({ deniedModels: [' '] })).toThrow(new TypeError('--deny-model must be a list of non-empty strings, got ` `'))
  })

  it("says what a row's kind cannot: a command, or the providers tune takes", () => {
    expect(() => resolveBenchOptions({ python: ' ' })).toThrow(new TypeError('--python must be a command, got ` `'))
    expect(() => resolveTuneOptions({ provider: 'azure' as never })).toThrow(new TypeError('--provider must be bedrock or openai (or left out for the emulator), got `azure`'))
  })

  it('applies the --quick defaults only to the options left unset', () => {
    expect(resolveBenchOptions({ quick: true, runs: 2 })).toMatchObject({ timeScale: 0.25, runs: 2 })
    expect(resolveTuneOptions({ quick: true })).toMatchObject({ concurrency: [1, 4, 16, 64], rounds: 2 })
  })

  it('lists the emulator flags in its --help from its table, with their defaults', async () => {
    const { stdout } = await runCli(['emulator', '--help'])
    for (const row of Object.values(EMULATOR_OPTIONS)) expect(stdout).toContain(`--${row.flag} `)
    expect(stdout).toMatch(/--port .*\[default: 0 \(a free port\)\]/s)
    expect(stdout).toMatch(/--rpm .*\[default: no limit\]/s)
  })

  it('gives the demo its offline default as a row, shown in its --help', async () => {
    expect(DEMO_OPTIONS.provider.default).toBe('extractive')
    expect((await runCli(['demo', '--help'])).stdout).toMatch(/--provider .*\[default: extractive \(the demo never bills AWS unless asked\)\]/s)
  })
})
