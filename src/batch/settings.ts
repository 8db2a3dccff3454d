import { charsetOption, isHttpUrl, parseKeep } from '../options.js'
import { parseTemplate, type PromptTemplate } from '../summarizers/prompt-template.js'
import { BATCH_OPTIONS, type BatchTable } from '../options/batch.js'
import type { OptionsOf, ResolvedOf } from '../options/table.js'
import { resolveTable } from '../options/validate.js'
import { invocationTypeFor, type ModelInvocationType } from './model-input.js'
import { parseS3Uri } from './s3-uri.js'

export type BatchOptions = OptionsOf<BatchTable>
export type BatchSettings = ResolvedOf<BatchTable> & {
  modelInvocationType: ModelInvocationType
  /** `--prompt`, parsed, as the online path has it. */
  template: PromptTemplate | undefined
  keep: 'all' | 'none' | string[]
}

/** Bedrock's pattern for a job's role (botocore's `RoleArn` shape). */
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/

/** The one place the batch commands' defaults are applied and their options checked. */
export function resolveBatchOptions(options: BatchOptions): BatchSettings {
  const resolved = resolveTable(BATCH_OPTIONS, options)
  for (const key of ['endpointUrl', 'runtimeEndpointUrl', 's3EndpointUrl'] as const) {
    const value = resolved[key]
    if (value !== undefined && !isHttpUrl(value)) throw new TypeError(`--${BATCH_OPTIONS[key].flag} must be an http: or https: URL, got \`${value}\``)
  }
  if (resolved.s3 !== undefined && parseS3Uri(resolved.s3) === undefined) {
    throw new TypeError(`--s3 must be an S3 URI Bedrock accepts (\`s3://bucket/prefix/\`, lower-case bucket), got \`${resolved.s3}\``)
  }
  if (resolved.roleArn !== undefined && !ROLE_ARN.test(resolved.roleArn)) {
    throw new TypeError(`--role-arn must be an IAM role ARN (\`arn:aws:iam::123456789012:role/NAME\`), got \`${resolved.roleArn}\``)
  }
  if (resolved.charset !== undefined) resolved.charset = charsetOption(resolved.charset, BATCH_OPTIONS.charset.flag)
  if (resolved.minRecords > resolved.recordsPerJob) throw new RangeError(`--min-records (${resolved.minRecords}) must not exceed --records-per-job (${resolved.recordsPerJob})`)
  return {
    ...resolved,
    modelInvocationType: invocationTypeFor(resolved.invocationType, resolved.model),
    template: resolved.prompt === undefined ? undefined : parseTemplate(resolved.prompt, `--${BATCH_OPTIONS.prompt.flag}`),
    keep: parseKeep(resolved.keepColumns, `--${BATCH_OPTIONS.keepColumns.flag}`),
  }
}
