import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
  type GetModelInvocationJobCommandOutput,
} from '@aws-sdk/client-bedrock'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../src/emulator/server.js'
import { HAIKU, useFakeAwsCredentials } from './helpers/bedrock.js'
import { useMoto } from './helpers/moto.js'

useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto()
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch'
const run = promisify(execFile)

const running: RunningEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()))
})

function s3(): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true })
}

async function emulator(options: EmulatorOptions = {}): Promise<{ emulator: RunningEmulator; bedrock: BedrockClient }> {
  const started = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0, batchRecordMs: 0, s3EndpointUrl: moto.url, ...options })
  running.push(started)
  return { emulator: started, bedrock: new BedrockClient({ region: 'us-east-1', endpoint: started.url, maxAttempts: 1 }) }
}

function converseRecord(i: number): string {
  const page = `Record ${i} is about lighthouse number ${i}. It guided ${i * 3} boats home in the storm. The keeper wrote it all down.`
  const modelInput = {
    system: [{ text: 'You summarize.' }],
    messages: [{ role: 'user', content: [{ text: `Summarize in at most 80 characters.\n<page>\n${page}\n</page>` }] }],
    inferenceConfig: { maxTokens: 200 },
  }
  return JSON.stringify({ recordId: `R${String(i).padStart(9, '0')}`, modelInput })
}

async function putInput(count: number, key = 'in/part-000.jsonl'): Promise<void> {
  const client = s3()
  await client.send(new CreateBucketCommand({ Bucket: 'batch' })).catch(() => undefined)
  const body = Array.from({ length: count }, (_, i) => converseRecord(i + 1)).join('\n') + '\n'
  await client.send(new PutObjectCommand({ Bucket: 'batch', Key: key, Body: body }))
}

function createJob(name: string, extra: Record<string, unknown> = {}) {
  return new CreateModelInvocationJobCommand({
    jobName: name,
    roleArn: ROLE,
    modelId: HAIKU,
    modelInvocationType: 'Converse',
    inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch/in/' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch/out/' } },
    ...extra,
  })
}

/** The job once it has ended (polled as a user would, with GetModelInvocationJob). */
async function waitForEnd(bedrock: BedrockClient, arn: string): Promise<GetModelInvocationJobCommandOutput> {
  let job: GetModelInvocationJobCommandOutput | undefined
  await expect
    .poll(async () => (job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }))).status, { interval: 20, timeout: 30_000 })
    .not.toMatch(/^(?:Submitted|Validating|Scheduled|InProgress|Stopping)$/)
  return job as GetModelInvocationJobCommandOutput
}

async function readObject(key: string): Promise<string> {
  const reply = await s3().send(new GetObjectCommand({ Bucket: 'batch', Key: key }))
  return (await reply.Body?.transformToString()) ?? ''
}

describe('emulator batch control plane', () => {
  it('runs a job from S3 to S3: every record answered once, in shuffled order, with a manifest', async () => {
    await putInput(120)
    const { bedrock } = await emulator()
    const { jobArn } = await bedrock.send(createJob('first-job'))
    expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job\/[a-z0-9]{12}$/)
    const job = await waitForEnd(bedrock, jobArn!)
    expect(job.status).toBe('Completed')
    expect([job.totalRecordCount, job.processedRecordCount, job.successRecordCount, job.errorRecordCount]).toEqual([120, 120, 120, 0])
    const id = jobArn!.split('/')[1]!
    const lines = (await readObject(`out/${id}/part-000.jsonl.out`)).trim().split('\n').map((line) => JSON.parse(line))
    const ids = lines.map((line) => line.recordId as string)
    expect([...ids].sort()).toEqual(Array.from({ length: 120 }, (_, i) => `R${String(i + 1).padStart(9, '0')}`))
    expect(ids).not.toEqual([...ids].sort())
    expect(lines[0].modelOutput.output.message.content[0].text.length).toBeGreaterThan(10)
    const manifest = JSON.parse(await readObject(`out/${id}/manifest.json.out`))
    expect(manifest).toMatchObject({ totalRecordCount: 120, processedRecordCount: 120, successRecordCount: 120, errorRecordCount: 0 })
    expect(manifest.inputTokenCount).toBeGreaterThan(0)
  }, 60_000)

  it('writes the configured share of per-record errors with their error codes', async () => {
    await putInput(200)
    const { bedrock } = await emulator({ batchErrorRate: 0.1 })
    const { jobArn } = await bedrock.send(createJob('errors-job'))
    const job = await waitForEnd(bedrock, jobArn!)
    expect(job.errorRecordCount).toBeGreaterThan(5)
    expect(job.errorRecordCount).toBeLessThan(45)
    const lines = (await readObject(`out/${jobArn!.split('/')[1]}/part-000.jsonl.out`)).trim().split('\n').map((line) => JSON.parse(line))
    const errors = lines.filter((line) => line.error !== undefined)
    expect(errors).toHaveLength(job.errorRecordCount!)
    expect(errors[0].error).toEqual({ errorCode: 500, errorMessage: expect.any(String) })
  }, 60_000)

  it('fails a job with fewer records than the minimum at validation', async () => {
    await putInput(99)
    const { bedrock } = await emulator()
    const { jobArn } = await bedrock.send(createJob('small-job'))
    const job = await waitForEnd(bedrock, jobArn!)
    expect(job.status).toBe('Failed')
    expect(job.message).toContain('minimum of 100 records')
  }, 60_000)

  it('returns the same job for a retried create with the same clientRequestToken', async () => {
    await putInput(100)
    const { bedrock, emulator: started } = await emulator()
    const first = await bedrock.send(createJob('same-token', { clientRequestToken: 'token-1' }))
    const again = await bedrock.send(createJob('same-token', { clientRequestToken: 'token-1' }))
    expect(again.jobArn).toBe(first.jobArn)
    expect(started.batchJobsCreated()).toBe(1)
    await expect(bedrock.send(createJob('same-token', { clientRequestToken: 'token-2' }))).rejects.toMatchObject({ name: 'ConflictException' })
  }, 60_000)

  it('refuses a job beyond the concurrent-job quota with ServiceQuotaExceededException', async () => {
    await putInput(100)
    const { bedrock } = await emulator({ batchMaxJobs: 2, batchRecordMs: 50 })
    await bedrock.send(createJob('quota-1'))
    await bedrock.send(createJob('quota-2'))
    await expect(bedrock.send(createJob('quota-3'))).rejects.toMatchObject({ name: 'ServiceQuotaExceededException', $metadata: { httpStatusCode: 400 } })
  }, 60_000)

  it('validates names, S3 URIs and models with Bedrock errors', async () => {
    const { bedrock } = await emulator()
    await expect(bedrock.send(createJob('bad name'))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining("at 'jobName'") })
    await expect(bedrock.send(createJob('bad-uri', { inputDataConfig: { s3InputDataConfig: { s3Uri: 'https://batch/in/' } } }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('inputDataConfig.s3InputDataConfig.s3Uri'),
    })
    await expect(bedrock.send(createJob('bad-model', { modelId: 'anthropic.claude-9' }))).rejects.toMatchObject({ name: 'ValidationException', message: 'The provided model identifier is invalid.' })
    await expect(bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefabcdef' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
  }, 60_000)

  it('stops a running job, keeping the outputs of the records it ran, and lists jobs with filters and paging', async () => {
    await putInput(150)
    const { bedrock } = await emulator({ batchRecordMs: 20 })
    const { jobArn } = await bedrock.send(createJob('stop-me'))
    await bedrock.send(createJob('other-job', { inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch/in/part-000.jsonl' } } }))
    await expect
      .poll(async () => {
        const job = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn! }))
        return job.status === 'InProgress' && (job.processedRecordCount ?? 0) > 0
      }, { interval: 10 })
      .toBe(true)
    await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn! }))
    const stopped = await waitForEnd(bedrock, jobArn!)
    expect(stopped.status).toBe('Stopped')
    expect(stopped.processedRecordCount).toBeLessThan(150)
    const listed = await bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'stop', maxResults: 1 }))
    expect(listed.invocationJobSummaries?.map((job) => job.jobName)).toEqual(['stop-me'])
    const page1 = await bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 1, sortOrder: 'Ascending' }))
    const page2 = await bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 1, sortOrder: 'Ascending', nextToken: page1.nextToken }))
    expect([page1.invocationJobSummaries?.[0]?.jobName, page2.invocationJobSummaries?.[0]?.jobName]).toEqual(['stop-me', 'other-job'])
    const keys = await s3().send(new ListObjectsV2Command({ Bucket: 'batch', Prefix: `out/${jobArn!.split('/')[1]}/` }))
    expect(keys.Contents?.map((item) => item.Key?.split('/').at(-1)).sort()).toEqual(['manifest.json.out', 'part-000.jsonl.out'])
  }, 60_000)

  it('ends jobs PartiallyCompleted, Expired or Failed when told to', async () => {
    await putInput(100)
    for (const [outcome, status] of [['partially-completed', 'PartiallyCompleted'], ['expired', 'Expired'], ['failed', 'Failed']] as const) {
      const { bedrock } = await emulator({ batchOutcome: outcome })
      const { jobArn } = await bedrock.send(createJob(`outcome-${outcome}`))
      const job = await waitForEnd(bedrock, jobArn!)
      expect(job.status).toBe(status)
      if (outcome !== 'failed') expect(job.processedRecordCount).toBe(50)
    }
  }, 60_000)

  it('answers boto3 create, get, list and stop with Bedrock shapes and errors', async () => {
    await putInput(100)
    const { emulator: started } = await emulator({ batchRecordMs: 20 })
    const script = fileURLToPath(new URL('./fixtures/batch/boto3_jobs.py', import.meta.url))
    const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', XDG_CACHE_HOME: process.env['XDG_CACHE_HOME'] ?? '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }
    const { stdout } = await run('python3', [script, started.url, 's3://batch/in/', 's3://batch/out/'], { env, timeout: 60_000 })
    const result = JSON.parse(stdout)
    expect(result.arn).toMatch(/^arn:aws:bedrock:us-west-2:111122223333:model-invocation-job\/[a-z0-9]{12}$/)
    expect(result.submitTimeType).toBe('datetime')
    expect(result.listed).toEqual(['boto3-job'])
    expect(['Stopping', 'Stopped']).toContain(result.afterStop)
    expect(result.badName).toBe('ValidationException')
    expect(result.missing).toBe('ResourceNotFoundException')
  }, 90_000)
})
