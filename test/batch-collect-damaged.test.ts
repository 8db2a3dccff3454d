import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordIdOf } from '../src/batch/record-id.js'
import { serveDirectory, type StaticServer } from '../src/cli/static-server.js'
import { startEmulator, type RunningEmulator } from '../src/emulator/server.js'
import { useFakeAwsCredentials } from './helpers/bedrock.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { CORPUS_DIR, volumePageNames } from './helpers/corpus.js'
import { useMoto } from './helpers/moto.js'

useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto()
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch'

let pages: StaticServer
let emulator: RunningEmulator
let dir: string
let s3: S3Client

beforeAll(async () => {
  pages = await serveDirectory(CORPUS_DIR)
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-damaged-'))
  s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true })
  emulator = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, batchRecordMs: 1, s3EndpointUrl: moto.url })
})
afterAll(async () => {
  await Promise.all([pages?.close(), emulator?.close()])
  rmSync(dir, { recursive: true, force: true })
})

const args = () => ['--s3', 's3://damaged/run/', '--role-arn', ROLE, '--endpoint-url', emulator.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2', '--quiet']

interface OutputLine {
  recordId: string
  modelOutput: { output: { message: { content: Array<{ text: string }> } }; usage: { inputTokens: number; outputTokens: number } }
}

describe('batch collect with a damaged output object', () => {
  it('writes one record per input line: the good ones ok, the damaged ones explained, exit 1', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'damaged' }))
    const names = volumePageNames()
    const list = join(dir, 'urls.txt')
    writeFileSync(list, `${Array.from({ length: 120 }, (_, i) => `${pages.url}/${names[i % names.length]}/source.html?n=${i}`).join('\n')}\n`)
    const out = join(dir, 'out.jsonl')
    const submitted = await runCli(['batch', 'submit', list, '-o', out, ...args()])
    expect(submitted.stderr).toBe('')
    expect(submitted.code).toBe(0)
    const jobFile = `${out}.batch.json`
    expect((await runCli(['batch', 'status', jobFile, '--wait', ...args()])).code).toBe(0)

    const clean = join(dir, 'clean.jsonl')
    expect((await runCli(['batch', 'collect', jobFile, '-o', clean, ...args()])).code).toBe(0)
    const cleanRecords = parseJsonl(readFileSync(clean, 'utf8'))

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'damaged', Prefix: 'run/' }))
    const key = (listed.Contents ?? []).map((item) => item.Key!).find((name) => name.endsWith('part-000.jsonl.out'))!
    const original = await (await s3.send(new GetObjectCommand({ Bucket: 'damaged', Key: key }))).Body!.transformToString()
    const lines = original.split('\n').filter((line) => line !== '')
    expect(lines).toHaveLength(120)
    const records = lines.map((line) => JSON.parse(line) as OutputLine)
    const lineOfRecord = (i: number) => Number.parseInt(records[i]!.recordId.slice(1), 36)
    const garbled = lineOfRecord(10)
    const torn = lineOfRecord(119)
    const duplicated = lineOfRecord(20)
    const impostor = structuredClone(records[20]!)
    impostor.modelOutput.output.message.content = [{ text: 'A second reply for the same record, which must not replace the first.' }]
    const unknown = { ...records[30]!, recordId: recordIdOf(5000) }
    const damaged = [
      ...lines.slice(0, 10),
      'this line is not JSON {',
      ...lines.slice(11, 119),
      JSON.stringify(impostor),
      JSON.stringify(unknown),
      JSON.stringify({ modelOutput: records[40]!.modelOutput }),
      lines[119]!.slice(0, Math.floor(lines[119]!.length / 2)),
    ].join('\n')
    await s3.send(new PutObjectCommand({ Bucket: 'damaged', Key: key, Body: damaged }))

    const collected = await runCli(['batch', 'collect', jobFile, '-o', out, ...args().filter((a) => a !== '--quiet')])
    expect(collected.code).toBe(1)
    const written = parseJsonl(readFileSync(out, 'utf8'))
    expect(written.map((r) => r['line'])).toEqual(Array.from({ length: 120 }, (_, i) => i + 1))
    const failed = written.filter((r) => r['status'] !== 'ok')
    expect(failed.map((r) => r['line']).sort((a, b) => Number(a) - Number(b))).toEqual([garbled, torn].sort((a, b) => a - b))
    const errorOf = (line: number) => written[line - 1]!['error'] as { code: string; message: string }
    expect(errorOf(garbled)).toMatchObject({ code: 'BATCH_OUTPUT_INVALID', message: expect.stringContaining('part-000.jsonl.out:11') })
    expect(errorOf(torn)).toMatchObject({ code: 'BATCH_OUTPUT_INVALID', message: expect.stringContaining('is cut short') })
    // Every other line is the record a clean collect wrote; the duplicate kept the first reply.
    for (const record of written.filter((r) => r['status'] === 'ok')) expect(record).toEqual(cleanRecords[(record['line'] as number) - 1])
    expect(written[duplicated - 1]!['summary']).not.toContain('must not replace')

    expect(collected.stderr).toContain('5 problems in the batch outputs')
    expect(collected.stderr).toContain('part-000.jsonl.out:11 is not JSON and names no recordId of this run: skipped')
    expect(collected.stderr).toMatch(new RegExp(`part-000\\.jsonl\\.out:120 repeats recordId ${records[20]!.recordId} \\(input line ${duplicated}\\), already read at part-000\\.jsonl\\.out:21: kept the first`))
    expect(collected.stderr).toContain(`has recordId "${recordIdOf(5000)}", which is no record of this run: skipped`)
    expect(collected.stderr).toContain('part-000.jsonl.out:122 has no recordId: skipped')
    expect(collected.stderr).toContain('part-000.jsonl.out:123 is cut short (a torn last record)')

    // Tokens come from the records written; the manifest's (all 120 records) are named beside them.
    const usage = written.filter((r) => r['status'] === 'ok').map((r) => r['usage'] as { inputTokens: number; outputTokens: number })
    const input = usage.reduce((sum, u) => sum + u.inputTokens, 0)
    const output = usage.reduce((sum, u) => sum + u.outputTokens, 0)
    const manifestInput = records.reduce((sum, r) => sum + r.modelOutput.usage.inputTokens, 0)
    expect(collected.stderr).toContain(`${input} input + ${output} output tokens in the records read (the manifests say ${manifestInput} input + `)

    const retried = await runCli(['batch', 'collect', jobFile, '-o', out, '--retry-failed-online', ...args()])
    expect(retried.code).toBe(0)
    expect(parseJsonl(readFileSync(out, 'utf8')).every((r) => r['status'] === 'ok')).toBe(true)

    // The run's own line list, damaged: a usage error naming it, not an unexpected SyntaxError.
    const linesFile = join(`${jobFile}.d`, 'lines.jsonl')
    writeFileSync(linesFile, `${readFileSync(linesFile, 'utf8')}{"line": 12`)
    const refused = await runCli(['batch', 'collect', jobFile, '-o', join(dir, 'refused.jsonl'), ...args()])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`line 121 of \`${linesFile}\` is not JSON: the job's line list is damaged`)
  }, 180_000)
})
