import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { CORPUS_DIR, volumePageNames } from './helpers/corpus.js'
import { useFakeAwsCredentials } from './helpers/bedrock.js'
import { useMoto } from './helpers/moto.js'

useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto()
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch'

let pages: StaticServer
let dir: string
let emu: RunningEmulator
const s3 = () => new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true })

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-mode-'))
})
afterAll(async () => {
  await pages.close()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(async () => {
  await s3().send(new CreateBucketCommand({ Bucket: 'batch' }))
  // A minimum of 10 keeps the batch side small; the choice is the same arithmetic at 100.
  emu = await startEmulator({ latencyMs: 0, jitterMs: 0, batchRecordMs: 1, batchMinRecords: 10, s3EndpointUrl: moto.url })
})
afterEach(async () => {
  await emu.close()
})

function urlList(name: string, count: number): string {
  const names = volumePageNames()
  const path = join(dir, `${name}.txt`)
  writeFileSync(path, Array.from({ length: count }, (_, i) => `${pages.url}/${names[i % names.length]}/source.html?n=${i}\n`).join(''))
  return path
}

function autoArgs(prefix: string): string[] {
  return ['--mode', 'auto', '--batch-threshold', '20', '--min-records', '10', '--provider', 'bedrock', '--s3', `s3://batch/${prefix}/`, '--role-arn', ROLE, '--endpoint-url', emu.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2']
}

async function objectsInS3(): Promise<number> {
  return (await s3().send(new ListObjectsV2Command({ Bucket: 'batch' }))).KeyCount ?? 0
}

describe('--mode on the main command', () => {
  it('auto runs a list under the threshold online, says so, and leaves S3 and the control plane alone', async () => {
    const result = await runCli([urlList('few', 10), ...autoArgs('few')])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('summarize-urls: --mode auto chose online: 10 URL lines, under --batch-threshold 20\n')
    const records = parseJsonl(result.stdout)
    expect(records.map((r) => [r['status'], r['provider']])).toEqual(Array.from({ length: 10 }, () => ['ok', 'bedrock']))
    expect(await objectsInS3()).toBe(0)
    expect(emu.batchJobsCreated()).toBe(0)
  }, 120_000)

  it('auto sends a list at the threshold or above to one batch job, and says so', async () => {
    const out = join(dir, 'many.jsonl')
    const result = await runCli([urlList('many', 25), '-o', out, ...autoArgs('many')])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('summarize-urls: --mode auto chose batch: 25 URL lines, at least --batch-threshold 20\n')
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records.map((r) => r['line'])).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
    expect(records.every((r) => r['status'] === 'ok' && r['provider'] === 'bedrock-batch')).toBe(true)
    expect(emu.batchJobsCreated()).toBe(1)
  }, 180_000)

  it('auto never picks batch under --min-records, whatever the threshold', async () => {
    const result = await runCli([urlList('under-min', 15), ...autoArgs('under-min'), '--min-records', '16', '--batch-threshold', '5'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('summarize-urls: --mode auto chose online: 15 URL lines, under --min-records 16\n')
    expect(parseJsonl(result.stdout)).toHaveLength(15)
    expect(emu.batchJobsCreated()).toBe(0)
  }, 120_000)

  it('refuses --mode batch without --s3 or --role-arn, naming what is missing, before fetching anything', async () => {
    const input = urlList('refused', 3)
    const neither = await runCli([input, '--mode', 'batch'])
    expect(neither.code).toBe(2)
    expect(neither.stderr).toMatch(/^summarize-urls: --mode batch needs --s3 URI and --role-arn ARN: /)
    const noRole = await runCli([input, '--mode', 'batch', '--s3', 's3://batch/refused/'])
    expect(noRole.stderr).toMatch(/^summarize-urls: --mode batch needs --role-arn ARN: /)
    expect(noRole.stdout).toBe('')
  })

  it('refuses --mode batch with --provider openai, and batch options without --mode', async () => {
    const input = urlList('refused-provider', 3)
    const openai = await runCli([input, '--mode', 'batch', '--provider', 'openai', '--s3', 's3://batch/x/', '--role-arn', ROLE])
    expect(openai).toMatchObject({ code: 2, stdout: '' })
    expect(openai.stderr).toContain('--mode batch is Bedrock batch inference and cannot use --provider openai')
    const online = await runCli([input, '--s3', 's3://batch/x/', '--role-arn', ROLE])
    expect(online).toMatchObject({ code: 2, stderr: 'summarize-urls: --role-arn, --s3 are batch options: add --mode batch, or --mode auto to choose by the number of URLs\n' })
    expect(await objectsInS3()).toBe(0)
  })
})
