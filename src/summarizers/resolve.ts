import { DEFAULT_RETRY_POLICY } from '../control/retry.js'
import { UsageError } from '../errors.js'
import { DEFAULT_MODEL } from '../options/job.js'
import type { ResolvedOptions } from '../options.js'
import { redactUrlsInText } from '../redact.js'
import type { SummarizerConfig } from './config.js'
import { openAIConfigured, resolveOpenAI } from './openai-resolve.js'

/** Longest we wait for the credential chain (SSO, process, metadata service) before giving up. */
const CREDENTIAL_PROBE_TIMEOUT_MS = 5 * 1000 // 5 s

/** With --endpoint-url and no region configured, requests are signed for this region. */
const SIGNING_REGION_FOR_CUSTOM_ENDPOINT = 'us-east-1'

export interface ResolvedSummarizer {
  config: SummarizerConfig
  /** One line for stderr saying which summarizer was chosen and why. */
  notice: string
}

/**
 * Turns `--provider` into a concrete summarizer. `auto` uses Bedrock when the standard AWS
 * credential chain and a region both resolve, else OpenAI when `OPENAI_API_KEY` or the Azure
 * OpenAI variables are set, else the offline extractive summarizer; `bedrock` and `openai`
 * insist, failing the run up front (exit 2) rather than every page.
 */
export async function resolveSummarizer(options: ResolvedOptions): Promise<ResolvedSummarizer> {
  if (options.provider === 'extractive') {
    return { config: { provider: 'extractive' }, notice: 'using the built-in extractive summarizer (offline)' }
  }
  if (options.provider === 'openai') {
    const openai = resolveOpenAI(options)
    if (!openai.ok) throw new UsageError(`--provider openai: ${openai.reason}`)
    return { config: { provider: 'openai', settings: openai.settings }, notice: openai.notice }
  }
  const probe = await probeAws(options)
  if (!probe.ok) {
    if (options.provider === 'bedrock') throw new UsageError(`--provider bedrock: ${probe.reason}`)
    if (openAIConfigured()) {
      const openai = resolveOpenAI(options)
      if (openai.ok) return { config: { provider: 'openai', settings: openai.settings }, notice: `${probe.reason}; OpenAI is configured: ${openai.notice}` }
      return { config: { provider: 'extractive' }, notice: `${probe.reason}, and ${openai.reason}; using the built-in extractive summarizer (offline)` }
    }
    return {
      config: { provider: 'extractive' },
      notice: `${probe.reason}, and OPENAI_API_KEY is not set; using the built-in extractive summarizer (offline). Use --provider bedrock or openai to require one.`,
    }
  }
  const modelId = options.model ?? DEFAULT_MODEL
  const settings = {
    modelId,
    region: probe.region,
    endpoint: options.endpointUrl,
    profile: options.profile,
    // Sized to the run: the SDK's default agent allows 50 sockets and then queues silently.
    maxSockets: options.concurrency,
    requestTimeoutMs: options.modelTimeoutMs,
    retry: { ...DEFAULT_RETRY_POLICY, retries: options.retries },
  }
  const endpoint = customEndpoint(options)
  const where = endpoint === undefined ? probe.region : `${redactUrlsInText(endpoint)} (region ${probe.region})`
  return { config: { provider: 'bedrock', settings }, notice: `using Bedrock model ${modelId} at ${where}` }
}

/** --endpoint-url, else the SDK's own endpoint variables, which it honours without our help. */
function customEndpoint(options: ResolvedOptions): string | undefined {
  return options.endpointUrl ?? (process.env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] || process.env['AWS_ENDPOINT_URL'] || undefined)
}

/**
 * Why `client` cannot resolve credentials (as every AWS tool does: env, profile, SSO,
 * container and instance roles), within 5 s; undefined when it can. Only the error's class
 * goes into the reason: provider messages can quote config values.
 */
export async function credentialsProblem(client: { config: { credentials: () => Promise<{ accessKeyId?: string }> } }, profile: string | undefined): Promise<string | undefined> {
  try {
    const credentials = await withTimeout(client.config.credentials(), CREDENTIAL_PROBE_TIMEOUT_MS)
    if (!credentials.accessKeyId) throw new Error('empty credentials')
    return undefined
  } catch (error) {
    const kind = error instanceof Error ? error.name : 'error'
    return `no AWS credentials could be resolved${profile === undefined ? '' : ` for profile \`${profile}\``} (${kind})`
  }
}

type Probe = { ok: true; region: string } | { ok: false; reason: string }

async function probeAws(options: ResolvedOptions): Promise<Probe> {
  // The client resolves region and credentials exactly as every AWS tool does: flags, then
  // AWS_REGION / AWS_PROFILE, then the shared config files, SSO, container and instance roles.
  // Loaded here, not at start-up: `--provider extractive` never needs the SDK.
  const { BedrockRuntimeClient } = await import('@aws-sdk/client-bedrock-runtime')
  const client = new BedrockRuntimeClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  })
  try {
    const problem = await credentialsProblem(client, options.profile)
    if (problem !== undefined) return { ok: false, reason: problem }
    const region = await client.config.region().catch(() => '')
    if (region) return { ok: true, region }
    // A custom endpoint (the emulator, a proxy) needs a region only to sign requests.
    if (customEndpoint(options) !== undefined) return { ok: true, region: SIGNING_REGION_FOR_CUSTOM_ENDPOINT }
    return { ok: false, reason: 'no AWS region configured (set --region or AWS_REGION)' }
  } finally {
    client.destroy()
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
