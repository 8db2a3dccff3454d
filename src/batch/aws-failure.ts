import { UsageError } from '../errors.js'
import { isNetworkErrorCode } from '../net/network-codes.js'

/**
 * What AWS or the network refused, in one line: a batch command that meets missing
 * credentials, an endpoint it cannot reach, or a service error (a job ARN from another
 * account or region, a bucket that does not exist, a role Bedrock cannot pass) has a
 * setting to fix, not a bug to report, so it gets no stack trace. Undefined for anything
 * else, which stays a bug.
 */
export function awsFailure(error: unknown, action: string): UsageError | undefined {
  if (!(error instanceof Error)) return undefined
  const name = error.name
  if (name === 'CredentialsProviderError') {
    // The class only: a credential provider's message can quote config values.
    return new UsageError(`batch ${action}: no AWS credentials could be resolved (${name}); set them as for the AWS CLI, or pass --profile`, { cause: error })
  }
  // A network failure carries errno's code; the SDK's service exceptions carry the reply's metadata.
  const code = (error as NodeJS.ErrnoException).code
  if (isNetworkErrorCode(code)) return new UsageError(`batch ${action}: cannot reach AWS: ${error.message}`, { cause: error })
  if ('$metadata' in error) return new UsageError(`batch ${action}: AWS answered ${name}: ${error.message}`, { cause: error })
  return undefined
}
