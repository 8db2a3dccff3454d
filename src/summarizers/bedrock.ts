import http from 'node:http'
import https from 'node:https'
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime'
import type { ConverseResponse } from '@aws-sdk/client-bedrock-runtime'
import { defaultProvider } from '@aws-sdk/credential-provider-node'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { markFatal, outcomeOf, type CallGate } from '../control/rate.js'
import { limitRetries, withRetry } from '../control/retry.js'
import type { RetryPolicy } from '../control/retry.js'
import { ERROR_CODES, PageError } from '../errors.js'
import { estimateTokens, isDenseChar } from '../tokens.js'
import { buildPrompt } from './prompt.js'
import type { Summarizer, SummaryRequest, SummaryResult } from './summarizer.js'

/** Everything a worker needs to build its own Bedrock client. Plain data: it crosses thread boundaries. */
export interface BedrockSettings {
  /** Model id or inference profile id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  modelId: string
  region: string
  /** Bedrock Runtime endpoint (the local emulator); undefined: the SDK's, which honours `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. */
  endpoint?: string | undefined
  /** Shared-config profile for credentials; undefined: the default chain (`AWS_PROFILE`, env, SSO, roles). */
  profile?: string | undefined
  /** Keep-alive sockets per client; size it to the calls this client runs at once. */
  maxSockets: number
  /** Longest a single call may take until the response headers arrive, in ms (e.g. 60 000). */
  requestTimeoutMs: number
  retry: RetryPolicy
  /** Upper bound on the reply length in tokens. Default 4096. */
  maxOutputTokens?: number
}

const DEFAULT_MAX_OUTPUT_TOKENS = 4096
const CONNECTION_TIMEOUT_MS = 10 * 1000 // 10 s
/** Room for the model to close its last sentence past the requested length. */
const OUTPUT_TOKEN_SLACK = 64

export class BedrockSummarizer implements Summarizer {
  readonly provider = 'bedrock'
  readonly #settings: BedrockSettings
  readonly #client: BedrockRuntimeClient
  readonly #agents: [http.Agent, https.Agent]
  /** Secrets the client signed with, so that no error message can ever echo them. */
  readonly #secrets = new Set<string>()

  constructor(settings: BedrockSettings) {
    this.#settings = settings
    const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets }
    this.#agents = [new http.Agent(agentOptions), new https.Agent(agentOptions)]
    const provider = defaultProvider(settings.profile === undefined ? {} : { profile: settings.profile })
    this.#client = new BedrockRuntimeClient({
      region: settings.region,
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      credentials: async (props) => {
        const credentials = await provider(props)
        this.#secrets.add(credentials.secretAccessKey)
        if (credentials.sessionToken) this.#secrets.add(credentials.sessionToken)
        return credentials
      },
      // Our retry policy is the only one: SDK retries would multiply with it and hide attempts.
      maxAttempts: 1,
      // HTTP/1.1 on purpose: the default HTTP/2 handler sends `PRI * HTTP/2.0` to a plain
      // HTTP/1.1 server such as the emulator, and this agent's pool is sized to the run.
      requestHandler: new NodeHttpHandler({
        httpAgent: this.#agents[0],
        httpsAgent: this.#agents[1],
        requestTimeout: settings.requestTimeoutMs,
        // Without it requestTimeout only logs a warning (smithy keeps the old socket-idle meaning).
        throwOnRequestTimeout: true,
        connectionTimeout: CONNECTION_TIMEOUT_MS,
      }),
    })
  }

  async summarize(req: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult> {
    const { system, user } = buildPrompt(req)
    const maxTokens = maxTokensFor(req, this.#settings.maxOutputTokens)
    const input = {
      modelId: this.#settings.modelId,
      system: [{ text: system }],
      messages: [{ role: 'user' as const, content: [{ text: user }] }],
      inferenceConfig: { maxTokens, temperature: 0 },
    }
    // What a tokens-per-minute quota charges before the reply is known: the prompt and the
    // reply's ceiling. The gate corrects it from the usage that comes back.
    const estimatedTokens = estimateTokens(system) + estimateTokens(user) + maxTokens
    let attempts = 0
    const response = await withRetry(
      async (attempt) => {
        attempts = attempt
        // Every attempt, retries included, waits for the run's rate and concurrency limits.
        const permit = await gate?.acquire(estimatedTokens, signal)
        try {
          // A fresh command per attempt: a command carries per-send state (its middleware stack).
          const reply = readReply(await this.#client.send(new ConverseCommand(input), { abortSignal: signal }))
          permit?.done({ kind: 'ok', ...(reply.usage === null ? {} : { tokens: reply.usage.inputTokens + reply.usage.outputTokens }) })
          return reply
        } catch (error) {
          const classified =
            signal?.aborted === true
              ? new PageError(ERROR_CODES.ABORTED, 'cancelled during the model call', { cause: error })
              : this.#redact(classifyBedrockError(error, this.#settings))
          permit?.done(outcomeOf(classified))
          throw classified
        }
      },
      this.#settings.retry,
      signal,
    )
    return { ...response, model: this.#settings.modelId, attempts }
  }

  async close(): Promise<void> {
    this.#client.destroy()
    for (const agent of this.#agents) agent.destroy()
  }

  /** Mutates rather than copies: the error keeps its identity, and with it any retry limit. */
  #redact(error: PageError): PageError {
    for (const secret of this.#secrets) {
      if (secret.length >= 8 && error.message.includes(secret)) error.message = error.message.replaceAll(secret, '[redacted]')
    }
    return error
  }
}

function readReply(response: ConverseResponse): Omit<SummaryResult, 'model' | 'attempts'> {
  const blocks = response.output?.message?.content ?? []
  const summary = blocks
    .map((block) => block.text ?? '')
    .join('')
    .trim()
  const stop = response.stopReason
  if (stop === 'content_filtered' || stop === 'guardrail_intervened') {
    // Deterministic at temperature 0: asking again gives the same refusal.
    throw limitRetries(new PageError(ERROR_CODES.MODEL_ERROR, `the model declined to summarize the page (stopReason ${stop})`), 0)
  }
  if (summary === '') {
    if (stop === 'model_context_window_exceeded') {
      throw new PageError(ERROR_CODES.MODEL_VALIDATION, 'the page is too long for the model (stopReason model_context_window_exceeded)')
    }
    // Rare and usually not repeated, but each try is billed: one more chance only.
    throw limitRetries(new PageError(ERROR_CODES.MODEL_ERROR, `the model returned an empty summary (stopReason ${stop ?? 'none'})`), 1)
  }
  const usage = response.usage
  return {
    summary,
    usage: usage === undefined ? null : { inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 },
  }
}

/**
 * The reply's token ceiling. Latin scripts run about 4 characters per token, so half a token
 * per character leaves twice the room asked for; Chinese, Japanese and Korean run about one
 * token per character (more with some tokenizers), so they get 1.5. A ceiling only: the
 * reply is billed for what is generated, and the caller cuts it to `maxChars` anyway.
 */
function maxTokensFor(req: SummaryRequest, cap: number = DEFAULT_MAX_OUTPUT_TOKENS): number {
  const perChar = isDenseScript(req) ? 1.5 : 0.5
  return Math.max(1, Math.min(cap, Math.ceil(req.maxChars * perChar) + OUTPUT_TOKEN_SLACK))
}

const DENSE_LANGS = new Set(['ja', 'zh', 'ko', 'yue', 'th', 'lo', 'km', 'my'])

function isDenseScript(req: SummaryRequest): boolean {
  const primary = req.lang.toLowerCase().split(/[-_]/)[0] ?? ''
  if (primary !== '') return DENSE_LANGS.has(primary)
  const sample = req.text.slice(0, 2000)
  let dense = 0
  for (const char of sample) if (isDenseChar(char)) dense += 1
  return sample.length > 0 && dense / sample.length > 0.3
}

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
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
])

/**
 * Maps anything the SDK throws to a `PageError` with a stable code, by error name, HTTP
 * status and error code, never by message text. The message is built from the error name
 * and the server's own message only (scrubbed of signing material), so no credential,
 * signature, Authorization header or session token can reach a record.
 */
export function classifyBedrockError(error: unknown, context: BedrockErrorContext = {}): PageError {
  if (error instanceof PageError) return error
  const e: SdkErrorLike = typeof error === 'object' && error !== null ? (error as SdkErrorLike) : {}
  const name = typeof e.name === 'string' ? e.name : 'Error'
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined
  const code = typeof e.code === 'string' ? e.code : undefined
  const fromServer = e.$fault !== undefined || (status !== undefined && status >= 300)
  const serverMessage = fromServer && typeof e.message === 'string' ? scrub(e.message) : ''
  const what = `${name}${status === undefined ? '' : ` (HTTP ${status})`}${serverMessage === '' ? '' : `: ${serverMessage}`}`
  const options = { cause: error, retryAfterMs: retryAfterMs(e) }
  const model = context.modelId === undefined ? 'the model' : `model ${context.modelId}`
  const region = context.region === undefined ? '' : ` in ${context.region}`
  const profile = context.profile === undefined ? 'the AWS credentials' : `the credentials of profile ${context.profile}`

  if (name === 'AbortError') return new PageError(ERROR_CODES.ABORTED, 'cancelled during the model call', { cause: error })
  if (THROTTLING_NAMES.has(name)) return new PageError(ERROR_CODES.THROTTLED, what, options)
  if (name === 'TimeoutError' && !fromServer) {
    return new PageError(ERROR_CODES.MODEL_ERROR, 'TimeoutError: no answer from Bedrock within the connection or request timeout', options)
  }
  if (TRANSIENT_NAMES.has(name)) return new PageError(ERROR_CODES.MODEL_ERROR, what, options)
  if (name === 'ValidationException') {
    const error = new PageError(ERROR_CODES.MODEL_VALIDATION, what, options)
    // Bedrock answers a mistyped or on-demand-unsupported model id with a plain
    // ValidationException; only its message tells it from a page-specific one. It will
    // repeat for every page, so it feeds the breaker, with the fix named.
    if (typeof e.message === 'string' && MODEL_ID_PROBLEM.test(e.message)) {
      error.message = withHint(what, `Check --model (${context.modelId ?? 'the model id'}) and that it is offered${region}; some models need an inference profile id (us.…, eu.…).`)
      return markFatal(error)
    }
    return error
  }
  if (name === 'ResourceNotFoundException') {
    return new PageError(ERROR_CODES.MODEL_NOT_FOUND, withHint(what, `Check the model id and that ${model} is offered${region}.`), options)
  }
  if (name === 'AccessDeniedException') return new PageError(ERROR_CODES.ACCESS_DENIED, withHint(what, accessHint(model, region, profile)), options)
  if (CREDENTIAL_NAMES.has(name)) {
    return new PageError(ERROR_CODES.ACCESS_DENIED, withHint(what, `Check ${profile}: the key may be wrong or the session expired (run \`aws sso login\` for SSO profiles).`), options)
  }
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    // Provider messages can quote config file contents: give the class and the fix only.
    return new PageError(
      ERROR_CODES.ACCESS_DENIED,
      context.profile === undefined
        ? `${name}: no usable AWS credentials. Set --profile or AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run \`aws sso login\`.`
        : `${name}: no usable AWS credentials for profile ${context.profile}. Check that the profile exists in ~/.aws/config, or run \`aws sso login --profile ${context.profile}\`.`,
      { cause: error },
    )
  }

  if (status !== undefined && status >= 400) {
    if (status === 429 || e.$retryable?.throttling === true) return new PageError(ERROR_CODES.THROTTLED, what, options)
    if (status >= 500 || status === 408 || status === 424) return new PageError(ERROR_CODES.MODEL_ERROR, what, options)
    if (status === 401 || status === 403) return new PageError(ERROR_CODES.ACCESS_DENIED, withHint(what, accessHint(model, region, profile)), options)
    if (status === 404) return new PageError(ERROR_CODES.MODEL_NOT_FOUND, withHint(what, 'Check the model id and the endpoint.'), options)
    return new PageError(ERROR_CODES.MODEL_VALIDATION, what, options)
  }
  if (code === 'ENOTFOUND') {
    // The endpoint's host does not exist: a mistyped region or --endpoint-url, the same for
    // every page — unless calls worked before, when it is a DNS blip (the breaker knows which).
    return markFatal(limitRetries(new PageError(ERROR_CODES.MODEL_ERROR, `cannot resolve the Bedrock endpoint (ENOTFOUND)${region === '' ? '' : ` for region ${context.region}`}: check --region and --endpoint-url`, options), 1), { untilSuccess: true })
  }
  if (code === 'ECONNREFUSED') {
    return markFatal(new PageError(ERROR_CODES.MODEL_ERROR, 'network error talking to Bedrock (ECONNREFUSED): nothing listens at the endpoint; check --endpoint-url', options), { untilSuccess: true })
  }
  if (code !== undefined && TLS_TRUST_CODES.has(code)) {
    return markFatal(limitRetries(new PageError(ERROR_CODES.MODEL_ERROR, `TLS error talking to Bedrock (${code}): the endpoint's certificate is not trusted; behind a TLS-inspecting proxy, set NODE_EXTRA_CA_CERTS`, options), 0), { untilSuccess: true })
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new PageError(ERROR_CODES.MODEL_ERROR, `network error talking to Bedrock (${code})`, options)
  }
  if (name === 'SyntaxError') {
    // An unparsable body is a proxy page or a cut connection; one more try is worth it, more is not.
    return limitRetries(new PageError(ERROR_CODES.MODEL_ERROR, `unparsable response from Bedrock (SyntaxError${status === undefined ? '' : `, HTTP ${status}`})`, options), 1)
  }
  if (e.$retryable !== undefined) {
    return new PageError(e.$retryable.throttling === true ? ERROR_CODES.THROTTLED : ERROR_CODES.MODEL_ERROR, what, options)
  }
  return new PageError(ERROR_CODES.MODEL_ERROR, `unexpected error from the Bedrock client (${name}${code === undefined ? '' : ` ${code}`})`, options)
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
