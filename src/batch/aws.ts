/**
 * The AWS clients the batch commands use, built once per command with the user's habits:
 * `--profile`, `--region`, `--endpoint-url` for the Bedrock control plane and an S3 endpoint
 * (the SDKs' `AWS_ENDPOINT_URL_BEDROCK` and `AWS_ENDPOINT_URL_S3` work without flags). Loaded
 * only by the batch commands.
 */
import { BedrockClient } from '@aws-sdk/client-bedrock'
import { S3Client } from '@aws-sdk/client-s3'

export interface AwsChoice {
  region: string | undefined
  profile: string | undefined
  endpointUrl: string | undefined
  s3EndpointUrl: string | undefined
}

export interface AwsClients {
  bedrock: BedrockClient
  s3: S3Client
  close(): void
}

/** With a custom endpoint and no region configured, requests are signed for this one. */
const SIGNING_REGION_FOR_CUSTOM_ENDPOINT = 'us-east-1'

export function openAws(choice: AwsChoice): AwsClients {
  const region = choice.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? (choice.endpointUrl !== undefined || choice.s3EndpointUrl !== undefined ? SIGNING_REGION_FOR_CUSTOM_ENDPOINT : undefined)
  const common = {
    ...(region === undefined ? {} : { region }),
    ...(choice.profile === undefined ? {} : { profile: choice.profile }),
  }
  const bedrock = new BedrockClient({ ...common, ...(choice.endpointUrl === undefined ? {} : { endpoint: choice.endpointUrl }) })
  const s3Endpoint = choice.s3EndpointUrl ?? (process.env['AWS_ENDPOINT_URL_S3'] || undefined)
  // A local S3 has no per-bucket host names: path-style addressing there, the SDK's default elsewhere.
  const s3 = new S3Client({ ...common, ...(s3Endpoint === undefined ? {} : { endpoint: s3Endpoint, forcePathStyle: true }) })
  return {
    bedrock,
    s3,
    close() {
      bedrock.destroy()
      s3.destroy()
    },
  }
}
