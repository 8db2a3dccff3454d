import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BedrockClient, ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/emulator/server.js'
import { ROLE, useBatchWorld } from './helpers/batch.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { volumePageNames } from './helpers/corpus.js'

const { moto, pages, dir, emulator } = useBatchWorld({ overshootRate: 0.5 })

/** `count` corpus pages (cycling through the 90, each URL distinct), with `bad` bad lines spread among them. */
function urlList(name: string, count: number, bad = 0): { path: string; badLines: number[] } {
  const names = volumePageNames()
  const lines: string[] = []
  const badLines: number[] = []
  for (let i = 0; i < count; i += 1) {
    if (bad > 0 && i % Math.floor(count / bad) === 3 && badLines.length < bad) {
      lines.push(badLines.length % 2 === 0 ? 'not a url' : `${pages().url}/no-such-page/source.html?n=${i}`)
      badLines.push(lines.length)
    }
    lines.push(`${pages().url}/${names[i % names.length]}/source.html?n=${i}`)
  }
  const path = join(dir(), `${name}.txt`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return { path, badLines }
}

function batchArgs(emu: RunningEmulator, prefix: string): string[] {
  return ['--s3', `s3://batch/${prefix}/`, '--role-arn', ROLE, '--endpoint-url', emu.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2', '--quiet']
}

describe('batch run against the emulator and a local S3', () => {
  it('gives one record per input line in input order, shaped like the online records, from exactly one job', async () => {
    const emu = await emulator()
    const { path, badLines } = urlList('run', 250, 5)
    const out = join(dir(), 'run.jsonl')
    const result = await runCli(['batch', 'run', path, '-o', out, ...batchArgs(emu, 'run')])
    expect(result.stderr).toBe('')
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records).toHaveLength(255)
    const lines = records.map((r) => r['line'] as number)
    expect(lines).toEqual(Array.from({ length: 255 }, (_, i) => i + 1))
    expect(records.filter((r) => r['status'] === 'ok')).toHaveLength(250)
    for (const record of records) {
      if (record['status'] === 'ok') {
        expect((record['summary'] as string).length).toBeLessThanOrEqual(150)
        expect(record['provider']).toBe('bedrock-batch')
        expect((record['usage'] as { inputTokens: number }).inputTokens).toBeGreaterThan(0)
      }
    }
    expect(badLines.map((line) => (records[line - 1]?.['error'] as { code: string }).code)).toEqual(['INVALID_URL', 'HTTP_STATUS', 'INVALID_URL', 'HTTP_STATUS', 'INVALID_URL'])
    expect(emu.batchJobsCreated()).toBe(1)

    const online = await runCli([path, '--provider', 'bedrock', '--endpoint-url', emu.url, '--quiet'])
    const onlineRecords = parseJsonl(online.stdout)
    expect(onlineRecords).toHaveLength(255)
    for (const [i, record] of records.entries()) {
      expect(Object.keys(record), `line ${i + 1}`).toEqual(Object.keys(onlineRecords[i]!))
      expect(record['status']).toBe(onlineRecords[i]!['status'])
      expect(record['title']).toBe(onlineRecords[i]!['title'])
    }
  }, 180_000)

  it('refuses a run under the minimum record count before uploading anything, saying how to run it online', async () => {
    const emu = await emulator()
    const { path } = urlList('small', 99)
    const out = join(dir(), 'small.jsonl')
    const result = await runCli(['batch', 'run', path, '-o', out, ...batchArgs(emu, 'small')])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('only 99 records to send, and a Bedrock batch job needs at least 100')
    // The online command writes where the batch run was asked to, and nothing is left behind.
    expect(result.stderr).toContain(`--provider bedrock -o ${out}`)
    expect(existsSync(`${out}.batch.json.d`)).toBe(false)
    expect(existsSync(`${out}.batch.json`)).toBe(false)
    const listed = await new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true }).send(new ListObjectsV2Command({ Bucket: 'batch' }))
    expect(listed.KeyCount ?? 0).toBe(0)
    expect(emu.batchJobsCreated()).toBe(0)
  }, 120_000)

  it('splits a run larger than one job allows into several jobs, never more in flight than --max-jobs', async () => {
    // Quotas scaled down (jobs of at most 21 records, files of 8, a minimum of 10): the same
    // arithmetic as at 100 a job, on a quarter of the pages; three jobs of three files each.
    const emu = await emulator({ batchRecordMs: 2, batchMinRecords: 10 })
    const { path } = urlList('split', 62)
    const out = join(dir(), 'split.jsonl')
    const result = await runCli(['batch', 'run', path, '-o', out, ...batchArgs(emu, 'split'), '--records-per-job', '21', '--records-per-file', '8', '--max-jobs', '1', '--min-records', '10'])
    expect(parseJsonl(readFileSync(out, 'utf8')).filter((r) => r['status'] !== 'ok').slice(0, 3)).toEqual([])
    expect(result.code).toBe(0)
    expect(emu.batchJobsCreated()).toBe(3)
    const jobs = await new BedrockClient({ region: 'us-east-1', endpoint: emu.url }).send(new ListModelInvocationJobsCommand({ sortOrder: 'Ascending' }))
    const spans = (jobs.invocationJobSummaries ?? []).map((job) => [job.submitTime!.getTime(), job.endTime!.getTime()] as const)
    expect(spans).toHaveLength(3)
    for (let i = 1; i < spans.length; i += 1) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1])
    expect((jobs.invocationJobSummaries ?? []).map((job) => job.totalRecordCount)).toEqual([21, 21, 20])
  }, 180_000)

  it('gives per-record errors Bedrock error records, which --retry-failed-online turns ok', async () => {
    const emu = await emulator({ batchErrorRate: 0.03, batchSeed: 7 })
    const { path } = urlList('errors', 100)
    const out = join(dir(), 'errors.jsonl')
    const first = await runCli(['batch', 'submit', path, '-o', out, ...batchArgs(emu, 'errors')])
    expect(first.code).toBe(0)
    const jobFile = `${out}.batch.json`
    expect(first.stdout.trim()).toBe(jobFile)
    expect((await runCli(['batch', 'status', jobFile, '--wait', ...batchArgs(emu, 'errors')])).code).toBe(0)
    const collected = await runCli(['batch', 'collect', jobFile, '-o', out, ...batchArgs(emu, 'errors')])
    expect(collected.code).toBe(1)
    const failed = parseJsonl(readFileSync(out, 'utf8')).filter((r) => r['status'] === 'error')
    expect(failed.length).toBeGreaterThan(0)
    for (const record of failed) expect(record['error']).toMatchObject({ code: 'MODEL_ERROR', message: expect.stringContaining('Bedrock batch error 500') })
    const retried = await runCli(['batch', 'collect', jobFile, '-o', out, '--retry-failed-online', ...batchArgs(emu, 'errors').filter((a) => a !== '--quiet')])
    expect(retried.code).toBe(0)
    expect(retried.stderr).toContain(`(${failed.length} turned ok online)`)
    expect(retried.stderr).toMatch(/at the batch price, against \$[0-9.]+ on demand/)
    expect(parseJsonl(readFileSync(out, 'utf8')).every((r) => r['status'] === 'ok')).toBe(true)
    expect(emu.batchJobsCreated()).toBe(1)
  }, 180_000)

  it('run-local runs an input file written by submit, and collect reads its outputs', async () => {
    const emu = await emulator({ batchOutcome: 'failed' })
    const { path } = urlList('local', 100)
    const out = join(dir(), 'local.jsonl')
    expect((await runCli(['batch', 'submit', path, '-o', out, ...batchArgs(emu, 'local')])).code).toBe(0)
    const jobFile = JSON.parse(readFileSync(`${out}.batch.json`, 'utf8')) as { workDir: string; jobs: Array<{ jobArn: string; outputUri: string }> }
    const outDir = join(dir(), 'local-out')
    const local = await runCli(['batch', 'run-local', join(jobFile.workDir, 'job-000', 'part-000.jsonl'), '--out-dir', outDir, '--endpoint-url', emu.url, '--quiet'])
    expect(local.code).toBe(0)
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json.out'), 'utf8'))
    expect(manifest).toMatchObject({ totalRecordCount: 100, processedRecordCount: 100, successRecordCount: 100, errorRecordCount: 0 })
    expect((await runCli(['batch', 'status', `${out}.batch.json`, '--wait', ...batchArgs(emu, 'local')])).code).toBe(0)
    // Where Bedrock would have written them: <outputUri>/<jobId>/.
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true })
    const { PutObjectCommand } = await import('@aws-sdk/client-s3')
    const jobId = jobFile.jobs[0]!.jobArn.split('/').at(-1)!
    const prefix = jobFile.jobs[0]!.outputUri.replace('s3://batch/', '')
    for (const name of ['part-000.jsonl.out', 'manifest.json.out']) {
      await s3.send(new PutObjectCommand({ Bucket: 'batch', Key: `${prefix}${jobId}/${name}`, Body: readFileSync(join(outDir, name)) }))
    }
    const collected = await runCli(['batch', 'collect', `${out}.batch.json`, '-o', out, ...batchArgs(emu, 'local')])
    expect(collected.code).toBe(0)
    expect(parseJsonl(readFileSync(out, 'utf8')).filter((r) => r['status'] === 'ok')).toHaveLength(100)
  }, 180_000)
})
