import { createHash, randomBytes, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { sleep } from '../control/retry.js'
import { extractiveSummary } from '../summarizers/extractive.js'
import { quotaBucket } from './quota.js'
import type { TokenBucket } from './quota.js'

export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Mean time before a successful reply, in ms. Default 800. */
  latencyMs?: number
  /** Uniform spread around `latencyMs`, in ms: each reply waits latencyMs ± jitterMs (at least 0). Default 200. */
  jitterMs?: number
  /** Share of valid requests answered at once with ThrottlingException (429), 0 to 1. Default 0. */
  throttleRate?: number
  /** Share of valid requests answered with ServiceUnavailableException (503) or InternalServerException (500), 0 to 1. Default 0. */
  errorRate?: number
  /** Share of replies that run past the requested length (about 1.6×), as real models do, 0 to 1. Default 0.25. */
  overshootRate?: number
  /** Model ids answered with AccessDeniedException, as if access was never enabled. Default none. */
  deniedModels?: string[]
  /**
   * Requests per minute, as Bedrock's quota: a call over it is answered at once with
   * ThrottlingException (429). Enforced as a token bucket refilled continuously, holding
   * `burstSeconds` of quota (see quota.ts). Default no limit.
   */
  rpm?: number
  /**
   * Tokens per minute, as Bedrock's quota. A call is charged its input tokens plus its
   * `maxTokens` (512 when it sets none) when admitted, and refunded what it did not use when
   * answered. Default no limit.
   */
  tpm?: number
  /** How much of `rpm` and `tpm` may be spent at once after an idle spell, in seconds of quota (at least 1 request or token). Default 1. */
  burstSeconds?: number
  /** Valid requests in flight at once; one more is answered with ThrottlingException (429). Default no limit. */
  maxConcurrency?: number
  /** Share of valid requests whose connection is reset (TCP RST) with no reply, 0 to 1. Default 0. */
  resetRate?: number
  /** Share of valid requests never answered: held until the client gives up or the emulator closes, 0 to 1. Default 0. */
  stallRate?: number
  /** Source of every dice roll (throttle, reset, stall, error, jitter, overshoot), for reproducible tests. Default `Math.random`. */
  random?: () => number
  /** Clock for the rpm and tpm quotas and the stats timeline, in ms, for tests with fake time. Default `performance.now`. */
  now?: () => number
}

/** What happened during one second of the emulator's life; `second` counts from its start. */
export interface EmulatorSecond {
  second: number
  /** Requests that arrived during this second; the other counts are outcomes (replies, resets, stalls) during it. */
  requests: number
  ok: number
  throttled: number
  errors: number
  reset: number
  stalled: number
}

export interface EmulatorStats {
  requests: number
  ok: number
  throttled: number
  /** 5xx replies. */
  errors: number
  /** 400 and 404 replies. */
  validation: number
  /** 403 replies. */
  denied: number
  /** Connections reset with no reply (`resetRate`). */
  reset: number
  /** Requests held with no reply (`stallRate`), counted when the hold starts. */
  stalled: number
  /** Input plus output tokens of ok replies. */
  tokens: number
  inFlight: number
  maxInFlight: number
  /**
   * One row per second, without gaps, from the first second with a request to the latest,
   * and at most the last 3600 seconds: a benchmark can plot throughput and throttling over time.
   */
  timeline: EmulatorSecond[]
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`: pass it as the Bedrock Runtime endpoint. */
  url: string
  port: number
  stats(): EmulatorStats
  /** Stops listening and drops every connection, including requests still waiting for their reply. */
  close(): Promise<void>
}

const BASE_MODELS = [
  'anthropic.claude-3-haiku-20240307-v1:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'amazon.nova-micro-v1:0',
  'amazon.nova-lite-v1:0',
]

/** Model ids the emulator knows: base ids and their cross-region inference profiles. */
export const EMULATOR_MODELS: readonly string[] = Object.freeze([
  ...BASE_MODELS,
  ...['us', 'eu', 'apac'].flatMap((prefix) => BASE_MODELS.map((model) => `${prefix}.${model}`)),
])

export const EMULATOR_DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  latencyMs: 800,
  jitterMs: 200,
  throttleRate: 0,
  errorRate: 0,
  overshootRate: 0.25,
  resetRate: 0,
  stallRate: 0,
  burstSeconds: 1,
}

/** Requested length when the prompt does not say (`at most N characters`). */
const DEFAULT_LIMIT_CHARS = 300
/** How far an overshooting reply runs past the requested length. */
const OVERSHOOT_FACTOR = 1.6
/** 5xx come back faster than answers: the failure happens before generation. */
const ERROR_LATENCY_SHARE = 0.25
/** A reset connection drops early in the call, like a load balancer giving up on a backend. */
const RESET_LATENCY_SHARE = 0.25
/**
 * What a call without `maxTokens` is charged against tpm until it is answered. Bedrock
 * reserves the model's default maximum; the emulator's replies are short, so a modest figure.
 */
const DEFAULT_MAX_TOKENS_CHARGE = 512
/** The timeline keeps this many seconds, so a long-running emulator stays small. */
const TIMELINE_SECONDS = 3600 // 1 h
const TOO_MANY_REQUESTS = 'Too many requests, please wait before trying again.'
const TOO_MANY_TOKENS = 'Too many tokens, please wait before trying again.'
/** Bedrock's request size limit is in this range; beyond it the emulator refuses rather than buffers. */
const MAX_BODY_BYTES = 25 * 1024 * 1024 // 25 MiB
/** Longer than any client's idle timeout, so the client, not the server, closes idle sockets (no reset races). */
const KEEP_ALIVE_TIMEOUT_MS = 65 * 1000 // 65 s
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/'
const ANTHROPIC_VERSION = 'bedrock-2023-05-31'

type ErrorName =
  | 'ThrottlingException'
  | 'ServiceUnavailableException'
  | 'InternalServerException'
  | 'ValidationException'
  | 'AccessDeniedException'
  | 'UnknownOperationException'

const ERROR_STATUS: Record<ErrorName, number> = {
  ThrottlingException: 429,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ValidationException: 400,
  AccessDeniedException: 403,
  UnknownOperationException: 404,
}

/** A request the emulator can answer: the prompt flattened, whatever the wire format. */
interface Conversation {
  system: string
  /** Text of the last user message: the one to answer. */
  user: string
  /** Every text the model would read, for the input token count. */
  inputText: string
  maxTokens: number | undefined
}

/** How one request ended: an HTTP status (0 when the client left first), or a fault with no reply. */
type Outcome = number | 'reset' | 'stalled'

/** Everything one running emulator counts and limits. */
interface State {
  settings: Settings
  stats: EmulatorStats
  startedMs: number
  rpm: TokenBucket | undefined
  tpm: TokenBucket | undefined
  /** Requests past validation and quotas, not yet answered: what maxConcurrency limits. */
  admitted: number
}

/** A request's hold on the quotas; `release` is idempotent, so every way a request ends may call it. */
interface Admission {
  release(outputTokens: number): void
}

class EmulatorError extends Error {
  constructor(
    readonly errorName: ErrorName,
    message: string,
  ) {
    super(message)
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings = resolveEmulatorOptions(options)
  const stats: EmulatorStats = {
    requests: 0,
    ok: 0,
    throttled: 0,
    errors: 0,
    validation: 0,
    denied: 0,
    reset: 0,
    stalled: 0,
    tokens: 0,
    inFlight: 0,
    maxInFlight: 0,
    timeline: [],
  }
  const startedMs = settings.now()
  const state: State = {
    settings,
    stats,
    startedMs,
    rpm: settings.rpm === undefined ? undefined : quotaBucket(settings.rpm, settings.burstSeconds, startedMs),
    tpm: settings.tpm === undefined ? undefined : quotaBucket(settings.tpm, settings.burstSeconds, startedMs),
    admitted: 0,
  }

  const server = http.createServer((req, res) => {
    stats.requests++
    timelineRow(state).requests++
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    // Fires on a finished reply and on a client that hung up while waiting: either way the
    // request is over, and a pending latency timer must not outlive it.
    const gone = new AbortController()
    res.on('close', () => {
      stats.inFlight--
      gone.abort()
    })
    res.setHeader('x-amzn-RequestId', randomUUID())
    handle(req, res, state, gone.signal)
      .then((outcome) => count(state, outcome))
      .catch((error: unknown) => {
        if (gone.signal.aborted) return
        const message = error instanceof Error ? error.message : String(error)
        count(state, sendError(res, new EmulatorError('InternalServerException', `emulator bug: ${message}`)))
      })
  })
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ ...stats, timeline: stats.timeline.map((row) => ({ ...row })) }),
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeAllConnections()
      })),
  }
}

/** The command-line flag of each option, so messages name what the user typed. */
const FLAGS = {
  throttleRate: '--throttle-rate',
  errorRate: '--error-rate',
  overshootRate: '--overshoot-rate',
  resetRate: '--reset-rate',
  stallRate: '--stall-rate',
  latencyMs: '--latency-ms',
  jitterMs: '--jitter-ms',
  port: '--port',
  rpm: '--rpm',
  tpm: '--tpm',
  maxConcurrency: '--max-concurrency',
  burstSeconds: '--burst-seconds',
} as const

/** Limits stay unset when not given: no limit. */
type LimitKey = 'rpm' | 'tpm' | 'maxConcurrency'

type Settings = Required<Omit<EmulatorOptions, 'deniedModels' | LimitKey>> & Pick<EmulatorOptions, LimitKey> & { deniedModels: Set<string> }

function resolveEmulatorOptions(options: EmulatorOptions): Settings {
  const settings = {
    ...EMULATOR_DEFAULTS,
    random: Math.random,
    now: () => performance.now(),
    ...withoutUndefined(options),
    deniedModels: new Set(options.deniedModels ?? []),
  }
  for (const key of ['throttleRate', 'errorRate', 'overshootRate', 'resetRate', 'stallRate'] as const) {
    const value = settings[key]
    if (!(typeof value === 'number' && value >= 0 && value <= 1)) throw new TypeError(`${FLAGS[key]} must be a number from 0 to 1, got \`${String(value)}\``)
  }
  for (const key of ['latencyMs', 'jitterMs'] as const) {
    const value = settings[key]
    if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) throw new TypeError(`${FLAGS[key]} must be a number of milliseconds, 0 or more, got \`${String(value)}\``)
  }
  if (!(Number.isInteger(settings.port) && settings.port >= 0 && settings.port <= 65535)) {
    throw new TypeError(`${FLAGS.port} must be an integer from 0 to 65535, got \`${String(settings.port)}\``)
  }
  for (const key of ['rpm', 'tpm', 'maxConcurrency'] as const) {
    const value = settings[key]
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new TypeError(`${FLAGS[key]} must be an integer of 1 or more, got \`${String(value)}\``)
  }
  const { burstSeconds } = settings
  if (!(typeof burstSeconds === 'number' && burstSeconds > 0 && Number.isFinite(burstSeconds))) {
    throw new TypeError(`${FLAGS.burstSeconds} must be a number of seconds greater than 0, got \`${String(burstSeconds)}\``)
  }
  for (const key of ['random', 'now'] as const) {
    if (typeof settings[key] !== 'function') throw new TypeError(`${key} must be a function, got \`${String(settings[key])}\``)
  }
  return settings
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Answers one request; returns the status sent (0 when the client left first), or the fault that replaced the reply. */
async function handle(req: http.IncomingMessage, res: http.ServerResponse, state: State, gone: AbortSignal): Promise<Outcome> {
  const { settings } = state
  const started = performance.now()
  const route = /^\/model\/([^/]+)\/(converse|invoke)$/.exec(new URL(req.url ?? '/', 'http://emulator').pathname)
  if (req.method !== 'POST' || route === null) {
    return sendError(res, new EmulatorError('UnknownOperationException', `No operation matches ${req.method ?? ''} ${req.url ?? ''}`))
  }
  // Bedrock authenticates before anything else; the emulator cannot verify a signature, only
  // insist that there is one, which catches clients that forgot to sign at all.
  if (!(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
    return sendError(res, new EmulatorError('AccessDeniedException', 'Missing Authentication Token: the request must be signed with AWS Signature Version 4.'))
  }
  let body: Buffer
  try {
    body = await readBody(req)
  } catch (error) {
    if (error instanceof EmulatorError) return sendError(res, error)
    return 0 // the client hung up mid-body
  }

  const modelId = normaliseModelId(safeDecode(route[1] ?? ''))
  const operation = route[2] === 'converse' ? 'converse' : 'invoke'
  let conversation: Conversation
  try {
    if (!EMULATOR_MODELS.includes(modelId)) throw new EmulatorError('ValidationException', 'The provided model identifier is invalid.')
    if (settings.deniedModels.has(modelId)) {
      throw new EmulatorError('AccessDeniedException', "You don't have access to the model with the specified model ID.")
    }
    const json = parseJson(body)
    conversation = operation === 'converse' ? readConverse(json) : readAnthropic(json, modelId)
  } catch (error) {
    if (error instanceof EmulatorError) return sendError(res, error)
    throw error
  }

  // Quotas come after authentication and validation, as on Bedrock: a malformed call gets its
  // 400 even when over quota. Then the random faults, which model trouble behind the quota
  // check, so a call they hit has already been counted against it.
  const inputTokens = estimateTokens(conversation.inputText)
  const admission = admit(state, inputTokens, conversation.maxTokens)
  if (admission instanceof EmulatorError) return sendError(res, admission)
  // However the request ends (the client hung up, the connection was reset, close()), its
  // concurrency slot and unused tokens come back; an answered request releases earlier, below.
  gone.addEventListener('abort', () => admission.release(0), { once: true })

  const { random } = settings
  if (settings.throttleRate > 0 && random() < settings.throttleRate) {
    admission.release(0)
    return sendError(res, new EmulatorError('ThrottlingException', TOO_MANY_REQUESTS))
  }
  const reset = settings.resetRate > 0 && random() < settings.resetRate
  const stall = !reset && settings.stallRate > 0 && random() < settings.stallRate
  // A stalled request needs no timer: the open response holds it until the client's socket
  // closes or close() drops every connection, and `gone` then releases its admission.
  if (stall) return 'stalled'
  const failure = !reset && settings.errorRate > 0 && random() < settings.errorRate
  const unavailable = failure && random() < 0.5
  const latency = Math.max(0, settings.latencyMs + (random() * 2 - 1) * settings.jitterMs)
  try {
    await sleep(reset ? latency * RESET_LATENCY_SHARE : failure ? latency * ERROR_LATENCY_SHARE : latency, gone)
  } catch {
    return 0
  }
  if (reset) {
    // RST rather than FIN: the client sees ECONNRESET, as when a connection dies mid-call.
    res.socket?.resetAndDestroy()
    return 'reset'
  }
  if (failure) {
    admission.release(0)
    return sendError(
      res,
      unavailable
        ? new EmulatorError('ServiceUnavailableException', 'Bedrock is unable to process your request.')
        : new EmulatorError('InternalServerException', 'The server encountered an internal error while processing the request.'),
    )
  }

  const limit = requestedLength(conversation.user)
  const overshoot = settings.overshootRate > 0 && random() < settings.overshootRate
  let text = summarize(pageText(conversation.user), overshoot ? Math.round(limit * OVERSHOOT_FACTOR) : limit)
  let stopReason: 'end_turn' | 'max_tokens' = 'end_turn'
  if (conversation.maxTokens !== undefined && estimateTokens(text) > conversation.maxTokens) {
    text = cutToTokens(text, conversation.maxTokens)
    stopReason = 'max_tokens'
  }
  const outputTokens = estimateTokens(text)
  const latencyMs = Math.round(performance.now() - started)
  // Before the reply goes out, so a client that calls again as soon as it has its answer finds the refund.
  admission.release(outputTokens)
  state.stats.tokens += inputTokens + outputTokens

  if (operation === 'converse') {
    return sendJson(res, 200, {
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      metrics: { latencyMs },
    })
  }
  res.setHeader('x-amzn-bedrock-input-token-count', String(inputTokens))
  res.setHeader('x-amzn-bedrock-output-token-count', String(outputTokens))
  res.setHeader('x-amzn-bedrock-invocation-latency', String(latencyMs))
  return sendJson(res, 200, {
    id: `msg_bdrk_${randomBytes(12).toString('hex')}`,
    type: 'message',
    role: 'assistant',
    model: modelId,
    content: [{ type: 'text', text }],
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  })
}

/** Takes the request's share of every quota, or says which one it is over. */
function admit(state: State, inputTokens: number, maxTokens: number | undefined): Admission | EmulatorError {
  const { settings, rpm, tpm } = state
  const nowMs = settings.now()
  const reservedTokens = maxTokens ?? DEFAULT_MAX_TOKENS_CHARGE
  const chargedTokens = inputTokens + reservedTokens
  // Checked before anything is taken: a throttled call spends no quota, so a client that
  // retries too eagerly still gets the quota's rate, not nothing.
  if (settings.maxConcurrency !== undefined && state.admitted >= settings.maxConcurrency) return new EmulatorError('ThrottlingException', TOO_MANY_REQUESTS)
  if (rpm !== undefined && !rpm.admits(1, nowMs)) return new EmulatorError('ThrottlingException', TOO_MANY_REQUESTS)
  if (tpm !== undefined && !tpm.admits(chargedTokens, nowMs)) return new EmulatorError('ThrottlingException', TOO_MANY_TOKENS)
  rpm?.take(1, nowMs)
  tpm?.take(chargedTokens, nowMs)
  state.admitted++
  let released = false
  return {
    release(outputTokens) {
      if (released) return
      released = true
      state.admitted--
      // Without maxTokens a reply may run past the reservation: the refund is then negative, an extra charge.
      tpm?.give(reservedTokens - outputTokens, settings.now())
    },
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) {
      req.resume()
      throw new EmulatorError('ValidationException', `Input is too long: the request body exceeds ${MAX_BODY_BYTES} bytes.`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Foundation-model and inference-profile ARNs name the same models as their ids. */
function normaliseModelId(id: string): string {
  return id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    throw new EmulatorError('ValidationException', 'Malformed input request, please reformat your input and try again.')
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(message: string): never {
  throw new EmulatorError('ValidationException', message)
}

function readConverse(json: unknown): Conversation {
  if (!isObject(json)) invalid('Malformed input request, please reformat your input and try again.')
  const messages = json['messages']
  if (!Array.isArray(messages) || messages.length === 0) {
    invalid("1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must have length greater than or equal to 1")
  }
  const texts = messages.map((message, i) => {
    if (!isObject(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) {
      invalid(`1 validation error detected: Value at 'messages.${i + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`)
    }
    const content = message['content']
    if (!Array.isArray(content) || content.length === 0) {
      invalid(`1 validation error detected: Value at 'messages.${i + 1}.member.content' failed to satisfy constraint: Member must have length greater than or equal to 1`)
    }
    return { role: message['role'], text: content.map((block) => (isObject(block) && typeof block['text'] === 'string' ? block['text'] : '')).join('\n') }
  })
  if (texts[0]?.role !== 'user') invalid('A conversation must start with a user message. Try again with a conversation that starts with a user message.')
  const system = Array.isArray(json['system'])
    ? json['system'].map((block) => (isObject(block) && typeof block['text'] === 'string' ? block['text'] : '')).join('\n')
    : ''
  const config = json['inferenceConfig']
  const maxTokens = isObject(config) ? config['maxTokens'] : undefined
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    invalid("1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1")
  }
  return conversation(system, texts, maxTokens as number | undefined)
}

function readAnthropic(json: unknown, modelId: string): Conversation {
  if (!/^(?:[a-z]+\.)?anthropic\./.test(modelId)) {
    invalid(`Malformed input request: the emulator's InvokeModel speaks the Anthropic Messages body only; use Converse for ${modelId}.`)
  }
  if (!isObject(json)) invalid('Malformed input request, please reformat your input and try again.')
  if (json['anthropic_version'] === undefined) invalid('Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.')
  if (json['anthropic_version'] !== ANTHROPIC_VERSION) invalid(`Malformed input request: anthropic_version must be ${ANTHROPIC_VERSION}, please reformat your input and try again.`)
  const maxTokens = json['max_tokens']
  if (maxTokens === undefined) invalid('Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.')
  if (!(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) invalid('Malformed input request: #/max_tokens: must be an integer of at least 1, please reformat your input and try again.')
  const messages = json['messages']
  if (!Array.isArray(messages) || messages.length === 0) invalid('messages: at least one message is required')
  const texts = messages.map((message, i) => {
    if (!isObject(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`)
    return { role: message['role'], text: anthropicText(message['content'], `messages.${i}.content`) }
  })
  if (texts[0]?.role !== 'user') invalid('messages: first message must use the "user" role')
  const system = json['system'] === undefined ? '' : anthropicText(json['system'], 'system')
  return conversation(system, texts, maxTokens as number)
}

function anthropicText(content: unknown, where: string): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) invalid(`${where}: Input should be a valid string or list of content blocks`)
  return content.map((block) => (isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string' ? block['text'] : '')).join('\n')
}

function conversation(system: string, texts: { role: string; text: string }[], maxTokens: number | undefined): Conversation {
  // Bedrock refuses blank text blocks (and image-only turns, which this emulator does not read).
  texts.forEach((t, i) => {
    if (t.text.trim() === '') invalid(`The text field in the ContentBlock object at messages.${i}.content is blank. Add text to the text field, and try again.`)
  })
  const user = texts.findLast((t) => t.role === 'user')?.text ?? ''
  return { system, user, inputText: [system, ...texts.map((t) => t.text)].join('\n'), maxTokens }
}

/** What a model would summarize: the fenced page when the prompt fences it, else the whole message. */
function pageText(user: string): string {
  const fenced = /<page>([\s\S]*)<\/page>/.exec(user)
  return (fenced?.[1] ?? user).trim()
}

/**
 * Ranking a long page takes tens of milliseconds of CPU, during which every other reply's
 * timer waits: under load the emulator would measure itself instead of the client. Load
 * tests send the same pages again and again, so recent summaries are kept.
 */
const summaryCache = new Map<string, string>()
const SUMMARY_CACHE_ENTRIES = 512

function summarize(text: string, maxChars: number): string {
  const key = `${maxChars}:${createHash('sha1').update(text).digest('base64')}`
  let summary = summaryCache.get(key)
  if (summary === undefined) {
    summary = extractiveSummary(text, { maxChars })
    if (summaryCache.size >= SUMMARY_CACHE_ENTRIES) summaryCache.delete(summaryCache.keys().next().value!)
    summaryCache.set(key, summary)
  }
  return summary
}

function requestedLength(user: string): number {
  const match = /at most (\d+) characters/.exec(user)
  const limit = match === null ? DEFAULT_LIMIT_CHARS : Number(match[1])
  return limit >= 1 ? limit : DEFAULT_LIMIT_CHARS
}

const DENSE_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u

/** Close to real tokenizers on average: about 4 characters per token in Latin scripts, 1 per CJK character. */
function tokenCost(char: string): number {
  return DENSE_CHAR.test(char) ? 1 : 0.25
}

function estimateTokens(text: string): number {
  let tokens = 0
  for (const char of text) tokens += tokenCost(char)
  return Math.ceil(tokens)
}

function cutToTokens(text: string, maxTokens: number): string {
  let tokens = 0
  let end = 0
  for (const char of text) {
    tokens += tokenCost(char)
    if (tokens > maxTokens) break
    end += char.length
  }
  return text.slice(0, end).trimEnd()
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): number {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
  return status
}

/** Exactly as Bedrock sends errors: the SDK picks the exception class from x-amzn-ErrorType. */
function sendError(res: http.ServerResponse, error: EmulatorError): number {
  if (res.headersSent) {
    res.destroy()
    return 0
  }
  res.setHeader('x-amzn-ErrorType', `${error.errorName}${ERROR_TYPE_SUFFIX}`)
  return sendJson(res, ERROR_STATUS[error.errorName], { message: error.message })
}

function count(state: State, outcome: Outcome): void {
  const { stats } = state
  if (outcome === 0) return
  const row = timelineRow(state)
  if (outcome === 'reset') {
    stats.reset++
    row.reset++
  } else if (outcome === 'stalled') {
    stats.stalled++
    row.stalled++
  } else if (outcome === 200) {
    stats.ok++
    row.ok++
  } else if (outcome === 429) {
    stats.throttled++
    row.throttled++
  } else if (outcome >= 500) {
    stats.errors++
    row.errors++
  } else if (outcome === 403) stats.denied++
  else if (outcome >= 400) stats.validation++
}

/** The timeline row of the current second, adding rows (empty ones for idle seconds) as time passes. */
function timelineRow(state: State): EmulatorSecond {
  const { timeline } = state.stats
  const second = Math.max(0, Math.floor((state.settings.now() - state.startedMs) / 1000))
  const last = timeline.at(-1)
  // A clock that steps back (fake time) counts into the latest row rather than reordering rows.
  if (last !== undefined && second <= last.second) return last
  const first = last === undefined ? second : Math.max(last.second + 1, second - TIMELINE_SECONDS + 1)
  for (let s = first; s <= second; s++) timeline.push({ second: s, requests: 0, ok: 0, throttled: 0, errors: 0, reset: 0, stalled: 0 })
  if (timeline.length > TIMELINE_SECONDS) timeline.splice(0, timeline.length - TIMELINE_SECONDS)
  return timeline.at(-1)!
}
