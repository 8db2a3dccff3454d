/**
 * `s3://bucket/key` as Bedrock writes and validates it. Shared by the batch commands and the
 * emulator's control plane, so both refuse the same URIs.
 */

/** Bedrock's own pattern for an S3 URI (botocore's bedrock service model, shape `S3Uri`). */
export const S3_URI_PATTERN = /^s3:\/\/[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:\/[-!_*'().a-z0-9A-Z]+(?:\/[-!_*'().a-z0-9A-Z]+)*)?\/?$/

export interface S3Location {
  bucket: string
  /** The object key or prefix, without a leading slash; '' for the bucket itself. */
  key: string
}

/** The bucket and key of a URI Bedrock would accept; undefined for anything else. */
export function parseS3Uri(uri: string): S3Location | undefined {
  if (uri.length > 1024 || !S3_URI_PATTERN.test(uri)) return undefined
  const rest = uri.slice('s3://'.length)
  const slash = rest.indexOf('/')
  return slash === -1 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) }
}

/** `s3://bucket/a/b/` + `c` → `s3://bucket/a/b/c`, with exactly one slash between. */
export function joinS3(uri: string, ...parts: string[]): string {
  return [uri.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].join('/')
}

export function s3Uri({ bucket, key }: S3Location): string {
  return key === '' ? `s3://${bucket}` : `s3://${bucket}/${key}`
}
