import { DEFAULT_RETRY_POLICY } from '../control/retry.js'
import { DEFAULT_OPENAI_MODEL } from '../options/job.js'
import { CREDENTIALS_HINT, hasCredentials, type ResolvedOptions } from '../options.js'
import { displayUrl, redactUrlsInText } from '../redact.js'
import type { OpenAISettings } from './openai.js'

/** Azure's generally available API version at the time of writing, when `OPENAI_API_VERSION` is unset. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21'

/**
 * Sent when a local server needs no key (`--base-url` without `OPENAI_API_KEY`): the SDK
 * insists on one, and such servers ignore it, as their own docs suggest.
 */
const NO_KEY = 'no-key'

export type OpenAIChoice = { ok: true; settings: OpenAISettings; notice: string } | { ok: false; reason: string }

/**
 * OpenAI settings from the flags and the variables every OpenAI tool reads. Azure OpenAI
 * when `--azure-deployment` is given, or when `AZURE_OPENAI_ENDPOINT` is set and neither
 * `--base-url` nor `OPENAI_API_KEY` points elsewhere; else OpenAI or the server at
 * `--base-url` / `OPENAI_BASE_URL`. Not ok, with the reason, when no key (or endpoint) is set.
 * The notice names the model and server, never the key.
 */
export function resolveOpenAI(options: ResolvedOptions, env: NodeJS.ProcessEnv = process.env): OpenAIChoice {
  const read = (name: string): string | undefined => env[name]?.trim() || undefined
  const common = {
    maxSockets: options.concurrency,
    requestTimeoutMs: options.modelTimeoutMs,
    retry: { ...DEFAULT_RETRY_POLICY, retries: options.retries },
  }
  const azureEndpoint = read('AZURE_OPENAI_ENDPOINT')
  const azure = options.azureDeployment !== undefined || (azureEndpoint !== undefined && options.baseUrl === undefined && read('OPENAI_API_KEY') === undefined)
  if (azure) {
    if (azureEndpoint === undefined) return { ok: false, reason: 'Azure OpenAI needs AZURE_OPENAI_ENDPOINT (e.g. https://my-resource.openai.azure.com)' }
    const apiKey = read('AZURE_OPENAI_API_KEY') ?? read('OPENAI_API_KEY')
    if (apiKey === undefined) return { ok: false, reason: 'Azure OpenAI needs AZURE_OPENAI_API_KEY' }
    // Deployments are often named after their model: --model stands in for the deployment.
    const deployment = options.azureDeployment ?? options.model
    if (deployment === undefined) return { ok: false, reason: 'Azure OpenAI needs --azure-deployment (the deployment to call)' }
    const apiVersion = read('OPENAI_API_VERSION') ?? DEFAULT_AZURE_API_VERSION
    const settings: OpenAISettings = { ...common, model: options.model ?? deployment, azure: { endpoint: azureEndpoint, deployment, apiVersion }, apiKey }
    return { ok: true, settings, notice: `using Azure OpenAI deployment ${deployment} at ${redactUrlsInText(azureEndpoint)} (api-version ${apiVersion})` }
  }
  const baseURL = options.baseUrl ?? read('OPENAI_BASE_URL')
  // --base-url is checked with the options; the variable only here, where it is read.
  if (options.baseUrl === undefined && baseURL !== undefined && hasCredentials(baseURL)) {
    return { ok: false, reason: `OPENAI_BASE_URL must not hold a user name or password (${displayUrl(baseURL)} has one): ${CREDENTIALS_HINT}` }
  }
  const key = read('OPENAI_API_KEY')
  if (key === undefined && baseURL === undefined) return { ok: false, reason: 'OPENAI_API_KEY is not set' }
  const model = options.model ?? DEFAULT_OPENAI_MODEL
  const settings: OpenAISettings = { ...common, model, baseURL, apiKey: key ?? NO_KEY }
  const where = baseURL === undefined ? 'api.openai.com' : redactUrlsInText(baseURL)
  return { ok: true, settings, notice: `using OpenAI model ${model} at ${where}${key === undefined ? ' (OPENAI_API_KEY unset: sending no real key)' : ''}` }
}

/** Whether `auto` should pick OpenAI when Bedrock is not available: a key or the Azure variables are set. */
export function openAIConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (name: string): boolean => (env[name]?.trim() ?? '') !== ''
  return set('OPENAI_API_KEY') || (set('AZURE_OPENAI_ENDPOINT') && set('AZURE_OPENAI_API_KEY'))
}
