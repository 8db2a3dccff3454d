import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { useFakeAwsCredentials } from './helpers/bedrock.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { CORPUS_DIR, volumePageNames } from './helpers/corpus.js'
import { useMoto } from './helpers/moto.js'

useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto()
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch'
// Distinctive, so a hit can only be a leak: no page of the corpus holds it.
const PASSWORD = 'Pw-7f3q9zKx'

let pages: StaticServer
let emulator: RunningEmulator
let dir: string

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-secrets-'))
  emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, batchRecordMs: 1, s3EndpointUrl: moto.url })
})
afterAll(async () => {
  await Promise.all([pages?.close(), emulator?.close()])
  rmSync(dir, { recursive: true, force: true })
})

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((name) => join(root, name))
    .filter((path) => statSync(path).isFile())
}

describe('URL passwords in a batch run', () => {
  it('reach no file written and no object uploaded: the work folder, the job file, the records, every S3 object', async () => {
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true })
    await s3.send(new CreateBucketCommand({ Bucket: 'secrets' }))
    const names = volumePageNames()
    const withPassword = (url: string) => url.replace('http://', `http://reader:${PASSWORD}@`)
    const lines = Array.from({ length: 120 }, (_, i) => {
      const url = `${pages.url}/${names[i % names.length]}/source.html?n=${i}`
      if (i % 3 !== 0) return url
      // A few of them fail before the model: their error records are in the job file.
      return withPassword(i % 30 === 0 ? `${pages.url}/no-such-page/?n=${i}` : url)
    })
    expect(lines.filter((line) => line.includes(PASSWORD))).toHaveLength(40)
    const list = join(dir, 'urls.txt')
    writeFileSync(list, `${lines.join('\n')}\n`)
    const work = join(dir, 'work')
    mkdirSync(work)
    const out = join(work, 'out.jsonl')
    const batch = ['--s3', 's3://secrets/run/', '--role-arn', ROLE, '--endpoint-url', emulator.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2']
    const ran = await runCli(['batch', 'run', list, '-o', out, ...batch])
    expect(ran.code).toBe(1)
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(records).toHaveLength(120)
    expect(records.filter((r) => r['status'] === 'ok')).toHaveLength(116)
    // The same lines online, into a journal, and its Markdown and CSV forms: the first 31,
    // 11 of them with a password, two of those failing pages (lines 1 and 31).
    const onlineList = join(dir, 'online-urls.txt')
    writeFileSync(onlineList, `${lines.slice(0, 31).join('\n')}\n`)
    for (const format of ['jsonl', 'md', 'csv']) {
      expect((await runCli([onlineList, '--provider', 'extractive', '--quiet', '-o', join(work, `online.${format}`)])).code).toBe(1)
    }

    const written = filesUnder(work)
    expect(written.map((path) => path.slice(work.length + 1)).sort()).toEqual(
      expect.arrayContaining(['out.jsonl', 'out.jsonl.batch.json', 'out.jsonl.batch.json.d/lines.jsonl', 'out.jsonl.batch.json.d/job-000/part-000.jsonl', 'online.jsonl', 'online.md', 'online.csv']),
    )
    for (const path of written) expect(readFileSync(path, 'utf8'), path).not.toContain(PASSWORD)
    expect(ran.stderr).not.toContain(PASSWORD)

    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: 'secrets' }))).Contents ?? []
    const keys = objects.map((item) => item.Key!)
    expect(keys.some((key) => key.endsWith('/lines.jsonl'))).toBe(true)
    expect(keys.some((key) => key.endsWith('part-000.jsonl.out'))).toBe(true)
    for (const key of keys) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: 'secrets', Key: key }))).Body!.transformToString()
      expect(body, key).not.toContain(PASSWORD)
    }
    // The redacted URLs are still there, as the records spell them.
    expect(records.filter((r) => String(r['url']).startsWith(`${pages.url}/`))).toHaveLength(120)
  }, 180_000)
})
