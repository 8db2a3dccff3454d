import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobFile } from '../src/batch/job-file.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { runCli } from './helpers/cli.js'

let emulator: RunningEmulator
let dir: string
const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] }

beforeAll(async () => {
  process.env['AWS_ACCESS_KEY_ID'] = 'test'
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test'
  emulator = await startEmulator({ latencyMs: 0, jitterMs: 0 })
  dir = await mkdtemp(join(tmpdir(), 'su-batch-aws-'))
})
afterAll(async () => {
  await emulator.close()
  for (const [key, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

/** A job file as `batch submit` writes it, for a job Bedrock has never heard of (another account, region or emulator). */
function foreignJobFile(): JobFile {
  return {
    version: 1,
    id: '0123456789abcdef',
    createdAt: '2026-11-28T00:00:00.000Z',
    input: 'urls.txt',
    workDir: 'out.jsonl.batch.json.d',
    model: 'anthropic.claude-3-haiku-20240307-v1:0',
    modelInvocationType: 'Converse',
    s3: 's3://bucket/prefix/',
    roleArn: 'arn:aws:iam::123456789012:role/BedrockBatch',
    region: 'us-east-1',
    settings: { maxChars: 150, maxInputChars: 12000, timeoutHours: 24, maxJobs: 10, minRecords: 100 },
    linesUri: 's3://bucket/prefix/lines.jsonl',
    linesUploaded: true,
    lines: 100,
    records: 100,
    preModelErrors: [],
    jobs: [
      {
        index: 0,
        jobName: 'summarize-urls-0123456789abcdef-000',
        clientRequestToken: 'token',
        inputUri: 's3://bucket/prefix/in/',
        outputUri: 's3://bucket/prefix/out/',
        files: [],
        records: 100,
        phase: 'submitted',
        jobArn: 'arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefabcdef',
      },
    ],
  }
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('batch commands that AWS or the network refuse', () => {
  it('a job Bedrock does not know is one line naming its answer, not an unexpected error with a stack', async () => {
    const file = join(dir, 'foreign.batch.json')
    await writeFile(file, JSON.stringify(foreignJobFile()))
    for (const command of ['status', 'collect', 'stop']) {
      const result = await runCli(['batch', command, file, '--endpoint-url', emulator.url])
      expect(result).toMatchObject({ code: 2, stdout: '' })
      expect(result.stderr).toMatch(new RegExp(`^summarize-urls: batch ${command}: AWS answered ResourceNotFoundException: The batch inference job .* was not found\\.\\n$`))
    }
  })

  it('an endpoint nothing listens on is one line saying AWS cannot be reached', async () => {
    const result = await runCli(['batch', 'list', '--endpoint-url', `http://127.0.0.1:${await closedPort()}`, '--region', 'us-east-1'])
    expect(result).toMatchObject({ code: 2, stdout: '' })
    expect(result.stderr).toMatch(/^summarize-urls: batch list: cannot reach AWS: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/)
  })
})
