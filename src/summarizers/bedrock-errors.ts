import { ERROR_CODES } from '../errors.js'
import { isNetworkErrorCode } from '../net/network-codes.js'
import { NO_RETRY, RETRY, verdictsFor, type ErrorVerdict } from '../control/verdict.js'

/** Optional context that makes ACCESS_DENIED and MODEL_NOT_FOUND messages say what to fix. */
export interface BedrockErrorContext {
  modelId?: string | undefined
  region?: string | undefined
  profile?: string | undefined
}

/** What the SDK attaches to its errors; every field may be missing (network errors have none). */
interface SdkErrorLike {
  name?: unknown
  message?: unknown
  code?: unknown
  $fault?: unknown
  $metadata?: { httpStatusCode?: unknown }
  $retryable?: { throttling?: unknown }
  $response?: { headers?: Record<string, string | undefined> }
}

const MODEL_ID_PROBLEM = /model identifier is invalid|on-demand throughput isn.t supported|model .*is not supported|unsupported model/i

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  // Bedrock answers this (HTTP 400) for account quotas and says "resubmit your request later".
  'ServiceQuotaExceededException',
  // The model is being loaded; Bedrock's own guidance is to retry.
  'ModelNotReadyException',
])
const TRANSIENT_NAMES = new Set([
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelTimeoutException',
  'ModelErrorException',
  'ModelStreamErrorException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
])
const CREDENTIAL_NAMES = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'MissingAuthenticationTokenException',
])
/** The endpoint's certificate is not trusted (often a TLS-inspecting proxy): the same for every call. */
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * Bedrock's error classifier: maps anything the SDK throws to a verdict (a stable code, and
 * whether to retry and whether it will repeat for every page), by error name, HTTP status
 * and error code, never by message text. The message is built from the error name and the
 * server's own message only (scrubbed of signing material), so no credential, signature,
 * Authorization header or session token can reach a record.
 */
export function classifyBedrockError(error: unknown, context: BedrockErrorContext = {}): ErrorVerdict {
  const e: SdkErrorLike = typeof error === 'object' && error !== null ? (error as SdkErrorLike) : {}
  const name = typeof e.name === 'string' ? e.name : 'Error'
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined
  const code = typeof e.code === 'string' ? e.code : undefined
  const fromServer = e.$fault !== undefined || (status !== undefined && status >= 300)
  const serverMessage = fromServer && typeof e.message === 'string' ? scrub(e.message) : ''
  const what = `${name}${status === undefined ? '' : ` (HTTP ${status})`}${serverMessage === '' ? '' : `: ${serverMessage}`}`
  const { verdict, transient, fatal } = verdictsFor(retryAfterMs(e))
  const throttled = (message: string): ErrorVerdict => verdict(ERROR_CODES.THROTTLED, message, RETRY)
  const model = context.modelId === undefined ? 'the model' : `model ${context.modelId}`
  const region = context.region === undefined ? '' : ` in ${context.region}`
  const profile = context.profile === undefined ? 'the AWS credentials' : `the credentials of profile ${context.profile}`

  if (name === 'AbortError') return { code: ERROR_CODES.ABORTED, message: 'cancelled during the model call', retryable: false, fatal: false }
  if (THROTTLING_NAMES.has(name)) return throttled(what)
  if (name === 'TimeoutError' && !fromServer) return transient('TimeoutError: no answer from Bedrock within the connection or request timeout')
  if (TRANSIENT_NAMES.has(name)) return transient(what)
  if (name === 'ValidationException') {
    // Bedrock answers a mistyped or on-demand-unsupported model id with a plain
    // ValidationException; only its message tells it from a page-specific one. It will
    // repeat for every page, so it feeds the breaker, with the fix named.
    if (typeof e.message === 'string' && MODEL_ID_PROBLEM.test(e.message)) {
      return fatal(ERROR_CODES.MODEL_VALIDATION, withHint(what, `Check --model (${context.modelId ?? 'the model id'}) and that it is offered${region}; some models need an inference profile id (us.…, eu.…).`))
    }
    return verdict(ERROR_CODES.MODEL_VALIDATION, what, NO_RETRY)
  }
  if (name === 'ResourceNotFoundException') return fatal(ERROR_CODES.MODEL_NOT_FOUND, withHint(what, `Check the model id and that ${model} is offered${region}.`))
  if (name === 'AccessDeniedException') return fatal(ERROR_CODES.ACCESS_DENIED, withHint(what, accessHint(model, region, profile)))
  if (CREDENTIAL_NAMES.has(name)) {
    return fatal(ERROR_CODES.ACCESS_DENIED, withHint(what, `Check ${profile}: the key may be wrong or the session expired (run \`aws sso login\` for SSO profiles).`))
  }
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    // Provider messages can quote config file contents: give the class and the fix only.
    return fatal(
      ERROR_CODES.ACCESS_DENIED,
      context.profile === undefined
        ? `${name}: no usable AWS credentials. Set --profile or AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run \`aws sso login\`.`
        : `${name}: no usable AWS credentials for profile ${context.profile}. Check that the profile exists in ~/.aws/config, or run \`aws sso login --profile ${context.profile}\`.`,
    )
  }

  if (status !== undefined && status >= 400) {
    if (status === 429 || e.$retryable?.throttling === true) return throttled(what)
    if (status >= 500 || status === 408 || status === 424) return transient(what)
    if (status === 401 || status === 403) return fatal(ERROR_CODES.ACCESS_DENIED, withHint(what, accessHint(model, region, profile)))
    if (status === 404) return fatal(ERROR_CODES.MODEL_NOT_FOUND, withHint(what, 'Check the model id and the endpoint.'))
    return verdict(ERROR_CODES.MODEL_VALIDATION, what, NO_RETRY)
  }
  // Network failures that mean a wrong region or endpoint, but only as long as no call has
  // worked: after that they are blips, and the breaker knows the difference.
  if (code === 'ENOTFOUND') {
    const where = region === '' ? '' : ` for region ${context.region}`
    return verdict(ERROR_CODES.MODEL_ERROR, `cannot resolve the Bedrock endpoint (ENOTFOUND)${where}: check --region and --endpoint-url`, { retryable: true, maxRetries: 1, fatal: 'untilSuccess' })
  }
  if (code === 'ECONNREFUSED') {
    return verdict(ERROR_CODES.MODEL_ERROR, 'network error talking to Bedrock (ECONNREFUSED): nothing listens at the endpoint; check --endpoint-url', { retryable: true, fatal: 'untilSuccess' })
  }
  if (code !== undefined && TLS_TRUST_CODES.has(code)) {
    const message = `TLS error talking to Bedrock (${code}): the endpoint's certificate is not trusted; behind a TLS-inspecting proxy, set NODE_EXTRA_CA_CERTS`
    return verdict(ERROR_CODES.MODEL_ERROR, message, { retryable: false, fatal: 'untilSuccess' })
  }
  if (isNetworkErrorCode(code)) return transient(`network error talking to Bedrock (${code})`)
  if (name === 'SyntaxError') {
    // An unparsable body is a proxy page or a cut connection; one more try is worth it, more is not.
    return verdict(ERROR_CODES.MODEL_ERROR, `unparsable response from Bedrock (SyntaxError${status === undefined ? '' : `, HTTP ${status}`})`, { retryable: true, maxRetries: 1, fatal: false })
  }
  if (e.$retryable !== undefined) return e.$retryable.throttling === true ? throttled(what) : transient(what)
  return transient(`unexpected error from the Bedrock client (${name}${code === undefined ? '' : ` ${code}`})`)
}


function withHint(what: string, hint: string): string {
  return `${what.replace(/[.\s]+$/, '')}. ${hint}`
}

function accessHint(model: string, region: string, profile: string): string {
  return `Check ${profile} and that they may call bedrock:InvokeModel, and that access to ${model} is enabled${region} in the Bedrock console.`
}

const MAX_SERVER_MESSAGE = 300

/**
 * Servers quote signing material back in some errors: the signature mismatch message
 * includes the canonical request (every signed header, the security token among them) and
 * the string to sign. Everything from there on is dropped and known patterns are masked.
 */
function scrub(message: string): string {
  let text = message
  const cut = text.search(/The Canonical String|The String-to-Sign|Canonical request/i)
  if (cut >= 0) text = text.slice(0, cut)
  text = text
    .replace(/AWS4-HMAC-SHA256[^\r\n]*/g, '[redacted]')
    .replace(/\b(Signature|Credential|SignedHeaders|X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential)\s*[=:]\s*[^\s,&'"]+/gi, '$1=[redacted]')
    .replace(/\b(authorization|x-amz-security-token)\s*[:=][^\r\n]*/gi, '$1: [redacted]')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > MAX_SERVER_MESSAGE ? `${text.slice(0, MAX_SERVER_MESSAGE - 1)}…` : text
}

/** `Retry-After` is seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(e: SdkErrorLike): number | undefined {
  const value = e.$response?.headers?.['retry-after']?.trim()
  if (value === undefined || value === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
