import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BedrockClient, ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { useFakeAwsCredentials } from './helpers/bedrock.js'
import { startCorpusSite, type CorpusSite } from './helpers/cache-site.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { useMoto } from './helpers/moto.js'

useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto()
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch'

let site: CorpusSite
let emulator: RunningEmulator
let dir: string
beforeAll(async () => {
  site = await startCorpusSite(300, () => 'etag', { synthetic: true })
  emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0, batchRecordMs: 1, s3EndpointUrl: moto.url })
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-cache-batch-'))
})
// The moto helper clears its state before each test.
beforeEach(async () => {
  await new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'batch' }))
})
afterAll(async () => {
  await Promise.all([site.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

describe('batch run with a cache', () => {
  it('sends only the lines the cache cannot answer: 300 lines, 200 cached, one job of 100, 300 records, the saving in the cost line', async () => {
    const cacheDir = join(dir, 'cache')
    const urls = Array.from({ length: 300 }, (_, i) => `${site.url}${site.path(i)}`)
    // Every third page stays out of the online run: 200 pages answered online, and kept.
    const online = urls.filter((_, i) => i % 3 !== 2)
    writeFileSync(join(dir, 'online.txt'), `${online.join('\n')}\n`)
    const first = await runCli([join(dir, 'online.txt'), '--out', join(dir, 'online.jsonl'), '--provider', 'bedrock', '--endpoint-url', emulator.url, '--strategy', 'async', '--cache-dir', cacheDir, '--quiet'])
    expect(first.code, first.stderr).toBe(0)
    const onlineRecords = parseJsonl(readFileSync(join(dir, 'online.jsonl'), 'utf8'))

    writeFileSync(join(dir, 'all.txt'), `${urls.join('\n')}\n`)
    const out = join(dir, 'batch.jsonl')
    const result = await runCli(['batch', 'run', join(dir, 'all.txt'), '-o', out, '--s3', 's3://batch/cache/', '--role-arn', ROLE, '--endpoint-url', emulator.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2', '--cache-dir', cacheDir])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('100 records in 1 job, 200 lines answered from the cache')
    const jobs = await new BedrockClient({ region: 'us-east-1', endpoint: emulator.url }).send(new ListModelInvocationJobsCommand({}))
    expect((jobs.invocationJobSummaries ?? []).map((job) => job.totalRecordCount)).toEqual([100])

    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records.map((r) => r['line'])).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    expect(records.every((r) => r['status'] === 'ok')).toBe(true)
    expect(records.map((r) => r['cache'])).toEqual(urls.map((_, i) => (i % 3 === 2 ? 'miss' : 'hit')))
    // A cached line carries the summary the online run wrote for the page.
    const onlineSummary = new Map(onlineRecords.map((r) => [r['url'], r['summary']]))
    for (const record of records.filter((r) => r['cache'] === 'hit')) expect(record['summary']).toBe(onlineSummary.get(record['url']))
    expect(result.stderr).toMatch(/at the batch price, against \$[0-9.]+ on demand; 200 of 300 pages from the cache: \d+\.\d\d M input tokens, \$\d+\.\d\d saved/)

    // collect kept the job's replies: the same list online now calls the model for nothing.
    const before = emulator.stats().requests
    const again = await runCli([join(dir, 'all.txt'), '--out', join(dir, 'again.jsonl'), '--provider', 'bedrock', '--endpoint-url', emulator.url, '--strategy', 'async', '--cache-dir', cacheDir, '--quiet'])
    expect(again.code, again.stderr).toBe(0)
    expect(emulator.stats().requests - before).toBe(0)
  }, 180_000)
})
