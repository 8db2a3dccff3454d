import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { uploadToS3 } from '../src/batch/s3-upload.js'
import { useFakeAwsCredentials } from './helpers/bedrock.js'
import { faultProxy, type Decide, type FaultProxy, type ProxiedRequest } from './helpers/fault-proxy.js'
import { useMoto } from './helpers/moto.js'

// Real S3 wants 5 MiB parts; moto is told 1 KiB here so a nine-part upload stays a 9 KB file.
const PART = 1024
useFakeAwsCredentials({ region: 'us-east-1' })
const moto = useMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: String(PART) } })

let dir: string
let proxy: FaultProxy | undefined
let clients: S3Client[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'su-s3-upload-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))
beforeEach(async () => {
  await s3(moto.url).send(new CreateBucketCommand({ Bucket: 'batch' }))
})
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  for (const client of clients.splice(0)) client.destroy()
})

function s3(endpoint: string): S3Client {
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true })
  clients.push(client)
  return client
}

/** A client that reaches moto through a proxy answering as `decide` says. */
async function throughProxy(decide: Decide): Promise<{ client: S3Client; seen: ProxiedRequest[] }> {
  proxy = await faultProxy(moto.url, decide)
  return { client: s3(proxy.url), seen: proxy.seen }
}

/** A file of `bytes` bytes whose every 4-byte word differs, so a part out of place shows. */
async function fileOf(name: string, bytes: number): Promise<{ path: string; content: Buffer }> {
  const content = Buffer.alloc(bytes)
  for (let offset = 0; offset + 4 <= bytes; offset += 4) content.writeUInt32BE(offset, offset)
  const path = join(dir, name)
  await writeFile(path, content)
  return { path, content }
}

async function stored(key: string): Promise<{ body: Buffer; contentType: string | undefined }> {
  const got = await s3(moto.url).send(new GetObjectCommand({ Bucket: 'batch', Key: key }))
  return { body: Buffer.from(await got.Body!.transformToByteArray()), contentType: got.ContentType }
}

async function openUploads(): Promise<number> {
  const listed = await s3(moto.url).send(new ListMultipartUploadsCommand({ Bucket: 'batch' }))
  return listed.Uploads?.length ?? 0
}

const isPart = (request: ProxiedRequest) => request.method === 'PUT' && request.query.has('partNumber')
const partNumber = (request: ProxiedRequest) => Number(request.query.get('partNumber'))

describe('uploading a file to S3 with the S3 client alone', () => {
  it('sends a file larger than a part as a multipart upload, three parts at a time, and S3 holds it byte for byte', async () => {
    const { path, content } = await fileOf('nine-parts.jsonl', 8 * PART + 100)
    let inFlight = 0
    let most = 0
    let releaseFirst: () => void = () => undefined
    const firstThree = new Promise<void>((resolve) => (releaseFirst = resolve))
    const { client, seen } = await throughProxy(async (request) => {
      if (!isPart(request)) return undefined
      inFlight += 1
      most = Math.max(most, inFlight)
      void request.answered.then(() => (inFlight -= 1))
      // The first parts wait for each other: a sequential upload would never get past here.
      if (inFlight === 3) releaseFirst()
      if (seen.filter(isPart).length <= 3) await firstThree
      return undefined
    })
    await uploadToS3(client, path, { bucket: 'batch', key: 'in/nine-parts.jsonl' }, { partBytes: PART, parallelParts: 3, contentType: 'application/jsonl' })
    const object = await stored('in/nine-parts.jsonl')
    expect(object.body.equals(content)).toBe(true)
    expect(object.contentType).toBe('application/jsonl')
    expect(seen.filter(isPart).map(partNumber).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(most).toBe(3)
    expect(await openUploads()).toBe(0)
  })

  it('sends a file that fits in one part as one PutObject', async () => {
    const { path, content } = await fileOf('small.jsonl', PART)
    const { client, seen } = await throughProxy(() => undefined)
    await uploadToS3(client, path, { bucket: 'batch', key: 'small.jsonl' }, { partBytes: PART })
    expect((await stored('small.jsonl')).body.equals(content)).toBe(true)
    expect(seen.map((request) => request.method)).toEqual(['PUT'])
    expect(seen.some((request) => request.query.has('uploads') || request.query.has('uploadId'))).toBe(false)
  })

  it('sends a part again when S3 fails it once, and the upload completes', async () => {
    const { path, content } = await fileOf('retried.jsonl', 3 * PART)
    let failed = false
    const { client, seen } = await throughProxy((request) => {
      if (!isPart(request) || partNumber(request) !== 2 || failed) return undefined
      failed = true
      return 500
    })
    await uploadToS3(client, path, { bucket: 'batch', key: 'retried.jsonl' }, { partBytes: PART })
    expect((await stored('retried.jsonl')).body.equals(content)).toBe(true)
    expect(seen.filter((request) => isPart(request) && partNumber(request) === 2)).toHaveLength(2)
  })

  it('aborts the multipart upload when a part keeps failing: the caller gets S3 error and no parts stay stored', async () => {
    const { path } = await fileOf('failing.jsonl', 5 * PART)
    const { client, seen } = await throughProxy((request) => (isPart(request) && partNumber(request) === 3 ? 500 : undefined))
    await expect(uploadToS3(client, path, { bucket: 'batch', key: 'failing.jsonl' }, { partBytes: PART, parallelParts: 1 })).rejects.toMatchObject({ name: 'InternalError' })
    // The client's own retry sent the part three times before giving up; the parts after it never went.
    expect(seen.filter((request) => isPart(request) && partNumber(request) === 3)).toHaveLength(3)
    expect(seen.filter((request) => isPart(request) && partNumber(request) > 3)).toHaveLength(0)
    expect(seen.some((request) => request.method === 'DELETE' && request.query.has('uploadId'))).toBe(true)
    expect(seen.some((request) => request.method === 'POST' && request.query.has('uploadId'))).toBe(false)
    expect(await openUploads()).toBe(0)
  })

  it('stops at the caller’s abort and removes the parts already stored', async () => {
    const { path } = await fileOf('aborted.jsonl', 6 * PART)
    const controller = new AbortController()
    const { client, seen } = await throughProxy(async (request) => {
      if (isPart(request) && partNumber(request) === 2) {
        // Part 1 is stored by now (one part at a time): the abort finds something to remove.
        controller.abort()
        await request.answered
      }
      return undefined
    })
    await expect(uploadToS3(client, path, { bucket: 'batch', key: 'aborted.jsonl' }, { partBytes: PART, parallelParts: 1, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' })
    expect(seen.filter(isPart).map(partNumber)).toEqual([1, 2])
    expect(seen.some((request) => request.method === 'DELETE' && request.query.has('uploadId'))).toBe(true)
    expect(await openUploads()).toBe(0)
  })
})
