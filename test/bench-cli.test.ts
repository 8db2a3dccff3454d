import { describe, expect, it } from 'vitest'
import { runCli } from './helpers/cli.js'

describe('summarize-urls bench and tune on the command line', () => {
  it('bench rejects an unknown workload with one line naming the flag (exit 2)', async () => {
    const { code, stderr, stdout } = await runCli(['bench', '--workload', 'io,disk'])
    expect(code).toBe(2)
    expect(stderr).toBe('summarize-urls: --workload must be one or more of seed, io, cpu, mixed, startup, extract, got `disk`\n')
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
})
