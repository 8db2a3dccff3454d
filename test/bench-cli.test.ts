import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'

const run = promisify(execFile)
// Built once for every test file by test/global-setup.ts.
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))

describe('summarize-urls bench and tune on the command line', () => {
  it('bench rejects an unknown workload with one line naming the flag (exit 2)', async () => {
    const { code, stderr, stdout } = await runCli(['bench', '--workload', 'io,disk'])
    expect(code).toBe(2)
    expect(stderr).toBe('summarize-urls: --workload must be one or more of seed, io, cpu, mixed, startup, extract, job, scaling, got `disk`\n')
    expect(stdout).toBe('')
  })

  it('bench quotes a list value that is not a number', async () => {
    const { code, stderr } = await runCli(['bench', '--concurrency', '8', '1e3'])
    expect(code).toBe(2)
    expect(stderr).toContain('--concurrency must be a list of whole numbers, got `1e3`')
  })

  it('tune refuses to send more than a handful of billed requests without --yes', async () => {
    const { code, stderr } = await runCli(['tune', '--provider', 'bedrock', '--region', 'us-east-1'])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^summarize-urls: tune would send about \d+ model requests to Amazon Bedrock, which are billed; pass --yes/)
  })

  it('lists both commands in --help', async () => {
    const { code, stdout } = await runCli(['--help'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/summarize-urls bench +benchmark every strategy/)
    expect(stdout).toMatch(/summarize-urls tune +sweep --threads and --concurrency/)
  })

  it('bench --help and tune --help list their own options, loaded with the harness', async () => {
    const bench = await runCli(['bench', '--help'])
    expect(bench.code).toBe(0)
    expect(bench.stdout).toMatch(/--workload +workloads to run/)
    expect(bench.stdout).toMatch(/--corpus +folder of pages to serve/)
    const tune = await runCli(['tune', '--help'])
    expect(tune.code).toBe(0)
    expect(tune.stdout).toMatch(/--emulator-rpm +simulate a requests-per-minute quota/)
  })

  it('the built bin runs nine rows with no listener warning, and prints its advice, then with --targets each finding of a target on a line of its own', async () => {
    // Nine rows: one row's listeners used to stay on the run's signal, and the eleventh warned.
    const args = ['bench', '--workload', 'io', '--pages', '8', '--time-scale', '0.02', '--runs', '1', '--concurrency', '2,4', '--threads', '1,2', '--strategy', 'sequential,async,pool,p-limit', '--targets']
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root })
    expect(stderr).not.toContain('MaxListenersExceededWarning')
    const header = "\ntargets (the project's own engineering targets):\n"
    const targets = stdout.slice(stdout.indexOf(header), stdout.indexOf('\n\n', stdout.indexOf(header) + 1))
    // Advice for the user's workload comes first; the project's targets only with --targets.
    expect(stdout.indexOf('\nadvice (from this run):\n')).toBeGreaterThan(0)
    expect(stdout.indexOf('\nadvice (from this run):\n')).toBeLessThan(stdout.indexOf(header))
    expect(targets).toMatch(/\n {2}\[(met|MISSED|n\/a)\] Node strategies at least as fast as the p-limit and Python rows[^\n]*:\n {6}io c=\d+: /)
    for (const line of targets.split('\n')) expect(line.length).toBeLessThan(400)
    // About 10 s on a quiet machine; 60 s ran out at a load of 6-12 on 2 cores.
  }, 240_000)
})
