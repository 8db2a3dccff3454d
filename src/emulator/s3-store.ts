/**
 * The emulator's access to S3, for the batch control plane: Bedrock reads a job's input
 * there and writes its output there, with the job's role. The emulator uses the credentials
 * of the process it runs in, against `--s3-endpoint-url` (a local moto_server in tests).
 * The S3 client is loaded only when a batch job first needs it.
 */
import type { S3Client } from '@aws-sdk/client-s3'

export interface ObjectStore {
  /** Keys under `prefix`, in key order. */
  list(bucket: string, prefix: string): Promise<string[]>
  get(bucket: string, key: string): Promise<string>
  put(bucket: string, key: string, body: string): Promise<void>
  close(): void
}

/** Requests are signed for a region even against a local endpoint. */
const SIGNING_REGION = 'us-east-1'

export function openObjectStore(endpoint: string | undefined): ObjectStore {
  let client: Promise<{ s3: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | undefined
  const open = () =>
    (client ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      s3: new sdk.S3Client({
        region: process.env['AWS_REGION'] ?? SIGNING_REGION,
        // A local S3 (moto) has no per-bucket host names: path-style addressing.
        ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
      }),
    })))
  return {
    async list(bucket, prefix) {
      const { s3, sdk } = await open()
      const keys: string[] = []
      let token: string | undefined
      do {
        const page = await s3.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token === undefined ? {} : { ContinuationToken: token }) }))
        for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key)
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined
      } while (token !== undefined)
      return keys.sort()
    },
    async get(bucket, key) {
      const { s3, sdk } = await open()
      const reply = await s3.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }))
      return (await reply.Body?.transformToString('utf8')) ?? ''
    },
    async put(bucket, key, body) {
      const { s3, sdk } = await open()
      await s3.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/jsonl' }))
    },
    close() {
      void client?.then(({ s3 }) => s3.destroy())
    },
  }
}
