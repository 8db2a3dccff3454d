import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { listen, type Listening } from '../src/net/listen.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { CORPUS_DIR, volumePageNames } from './helpers/corpus.js'
import { useFakeAwsCredentials } from './helpers/bedrock.js'
import { useMoto } from './helpers/moto.js'

useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto()
// The built bin (test/global-setup.ts builds it once): what users run, and it starts in a
// fraction of the time `--import tsx` takes to load the sources.
const BIN = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

let pages: Listening
let fetched = 0
let dir: string
let emulator: RunningEmulator

beforeAll(async () => {
  // The corpus, counting every page served: a re-run must not fetch what was already prepared.
  pages = await listen(
    http.createServer((req, res) => {
      fetched += 1
      const path = new URL(req.url ?? '/', 'http://pages').pathname
      readFile(join(CORPUS_DIR, path)).then(
        (body) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body),
        () => res.writeHead(404).end(),
      )
    }),
  )
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-kill-'))
  // 60 ms a record: the job runs 6 s, long enough for the third run to start and see it in progress.
  emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, batchRecordMs: 60, s3EndpointUrl: moto.url })
})
afterAll(async () => {
  await Promise.all([pages.close(), emulator.close()])
  rmSync(dir, { recursive: true, force: true })
})

describe('batch run killed with SIGKILL and run again', () => {
  it('creates exactly one job, fetches nothing twice, and completes the output', async () => {
    await new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'batch' }))
    const names = volumePageNames()
    const input = join(dir, 'urls.txt')
    writeFileSync(input, `${Array.from({ length: 100 }, (_, i) => `${pages.url}/${names[i % names.length]}/source.html?n=${i}`).join('\n')}\n`)
    const out = join(dir, 'out.jsonl')
    const jobFile = `${out}.batch.json`
    const args = ['batch', 'run', input, '-o', out, '--s3', 's3://batch/kill/', '--role-arn', 'arn:aws:iam::123456789012:role/BedrockBatch', '--endpoint-url', emulator.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2', '--records-per-file', '10', '--quiet']
    const readJob = () => (existsSync(jobFile) ? (JSON.parse(readFileSync(jobFile, 'utf8')) as { jobs: Array<{ phase: string; status?: string; files: Array<{ uploaded: boolean }> }> }) : undefined)

    const killWhen = async (what: string, moment: () => boolean) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore', env: process.env })
      const exited = new Promise((resolve) => child.once('exit', resolve))
      try {
        await expect.poll(moment, { message: what, timeout: 120_000 }).toBe(true)
      } finally {
        child.kill('SIGKILL')
        await exited
      }
    }

    // 1. During upload: the job file appears once the pages are prepared, before the first file is sent.
    await killWhen('the job file', () => readJob() !== undefined)
    const fetchedByPrepare = fetched
    expect(readJob()?.jobs[0]?.files.every((file) => file.uploaded)).toBe(false)
    // 2. During submit: the emulator has the job, the job file may not know it yet.
    await killWhen('the job to be created', () => emulator.batchJobsCreated() >= 1)
    // 3. During the wait.
    await killWhen('the job to run', () => readJob()?.jobs[0]?.status === 'InProgress')

    const final = await runCli(args)
    expect(final.code).toBe(0)
    expect(emulator.batchJobsCreated()).toBe(1)
    expect(fetched).toBe(fetchedByPrepare)
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records.map((r) => r['line'])).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(records.every((r) => r['status'] === 'ok')).toBe(true)
  }, 300_000)
})
