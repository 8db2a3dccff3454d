/**
 * A local file to one S3 object with the S3 client's own commands: one PutObject when the
 * file fits in a part, else a multipart upload whose parts go up a few at a time, each
 * retried by the client's retry policy. A failed or aborted multipart upload is aborted on
 * S3, so no stored parts are left to pay for. Replaces `@aws-sdk/lib-storage`'s `Upload`,
 * which takes any stream and brings 11 packages (browser polyfills of buffer, events and
 * streams) that a file on disk does not need.
 */
import { open, type FileHandle } from 'node:fs/promises'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3'
import pLimit from 'p-limit'
import type { S3Location } from './s3-uri.js'

/** S3 refuses parts under 5 MiB (all but the last); larger parts mean fewer requests for a 1 GB file. */
export const PART_BYTES = 16 * 1024 * 1024 // 16 MiB
/** Parts in flight at once: lib-storage's default queue size, which this upload replaces. Memory: this many parts. */
export const PARALLEL_PARTS = 4
/** S3's limit on the parts of one upload. */
const MAX_PARTS = 10_000

export interface UploadFileOptions {
  contentType?: string
  /** Bytes a part. Default {@link PART_BYTES}; S3 wants at least 5 MiB for every part but the last. */
  partBytes?: number
  /** Parts sent at once. Default {@link PARALLEL_PARTS}. */
  parallelParts?: number
  signal?: AbortSignal | undefined
}

export async function uploadToS3(s3: S3Client, path: string, target: S3Location, options: UploadFileOptions = {}): Promise<void> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const partBytes = Math.max(options.partBytes ?? PART_BYTES, Math.ceil(size / MAX_PARTS))
    const object = { Bucket: target.bucket, Key: target.key, ...(options.contentType === undefined ? {} : { ContentType: options.contentType }) }
    if (size <= partBytes) {
      await s3.send(new PutObjectCommand({ ...object, Body: await readPart(file, 0, size) }), { abortSignal: options.signal })
      return
    }
    await uploadParts(s3, file, size, object, { partBytes, parallelParts: options.parallelParts ?? PARALLEL_PARTS, signal: options.signal })
  } finally {
    await file.close()
  }
}

async function uploadParts(s3: S3Client, file: FileHandle, size: number, object: { Bucket: string; Key: string }, options: { partBytes: number; parallelParts: number; signal: AbortSignal | undefined }): Promise<void> {
  // With the client's default checksums, S3 wants the upload to name the algorithm its parts carry (lib-storage does the same).
  const checksummed = (await s3.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED'
  const created = await s3.send(new CreateMultipartUploadCommand({ ...object, ...(checksummed ? { ChecksumAlgorithm: 'CRC32' } : {}) }), { abortSignal: options.signal })
  const upload = { Bucket: object.Bucket, Key: object.Key, UploadId: created.UploadId }
  // The first failure stops the parts still waiting or in flight; the user's abort does too.
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  let failure: { error: unknown } | undefined
  const limit = pLimit(options.parallelParts)
  const count = Math.ceil(size / options.partBytes)
  const parts = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      limit(async (): Promise<CompletedPart | undefined> => {
        if (signal.aborted) return undefined
        const start = index * options.partBytes
        try {
          const body = await readPart(file, start, Math.min(options.partBytes, size - start))
          const sent = await s3.send(new UploadPartCommand({ ...upload, PartNumber: index + 1, Body: body }), { abortSignal: signal })
          return { PartNumber: index + 1, ETag: sent.ETag, ...(sent.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: sent.ChecksumCRC32 }) }
        } catch (error) {
          failure ??= { error }
          stop.abort()
          return undefined
        }
      }),
    ),
  )
  try {
    if (failure !== undefined) throw failure.error
    options.signal?.throwIfAborted()
    await s3.send(new CompleteMultipartUploadCommand({ ...upload, MultipartUpload: { Parts: parts as CompletedPart[] } }), { abortSignal: options.signal })
  } catch (error) {
    // Not under the user's signal: an abort is exactly when the stored parts must go.
    await s3.send(new AbortMultipartUploadCommand(upload)).catch(() => undefined)
    throw error
  }
}

async function readPart(file: FileHandle, start: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, start + filled)
    if (bytesRead === 0) throw new Error(`the file ended at byte ${start + filled} while it was being uploaded; it was ${start + length} bytes or more when the upload began`)
    filled += bytesRead
  }
  return buffer
}
