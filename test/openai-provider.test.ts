import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveOptions } from '../src/options.js'
import { resolveSummarizer } from '../src/summarizers/resolve.js'

const KEY = 'sk-provider-test-key-never-in-a-notice-0123'
const VARS = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME', 'AWS_ENDPOINT_URL',
  'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_API_VERSION', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY',
]
let saved: Record<string, string | undefined>
beforeEach(() => {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]))
  for (const k of VARS) delete process.env[k]
  // No instance metadata service here: the credential probe must fail fast, not time out.
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true'
})
afterEach(() => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

describe('choosing OpenAI', () => {
  it('auto picks OpenAI without AWS credentials when OPENAI_API_KEY is set, and says why', async () => {
    process.env['OPENAI_API_KEY'] = KEY
    const { config, notice } = await resolveSummarizer(resolveOptions({}))
    expect(config).toMatchObject({ provider: 'openai', settings: { model: 'gpt-4o-mini', apiKey: KEY } })
    expect(notice).toMatch(/^no AWS credentials could be resolved .*; OpenAI is configured: using OpenAI model gpt-4o-mini at api\.openai\.com$/)
    expect(notice).not.toContain(KEY)
  })

  it('auto still prefers Bedrock when AWS credentials and a region resolve', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'eu-west-1', OPENAI_API_KEY: KEY })
    const { config } = await resolveSummarizer(resolveOptions({}))
    expect(config.provider).toBe('bedrock')
  })

  it('auto picks Azure OpenAI from the Azure variables, with --model as the deployment', async () => {
    Object.assign(process.env, { AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com', AZURE_OPENAI_API_KEY: KEY, OPENAI_API_VERSION: '2025-01-01-preview' })
    const { config, notice } = await resolveSummarizer(resolveOptions({ model: 'gpt-4o' }))
    expect(config).toMatchObject({ provider: 'openai', settings: { model: 'gpt-4o', azure: { endpoint: 'https://res.openai.azure.com', deployment: 'gpt-4o', apiVersion: '2025-01-01-preview' } } })
    expect(notice).toContain('using Azure OpenAI deployment gpt-4o at https://res.openai.azure.com (api-version 2025-01-01-preview)')
  })

  it('auto falls back to the extractive summarizer when neither AWS nor OpenAI is configured, naming both', async () => {
    const { config, notice } = await resolveSummarizer(resolveOptions({}))
    expect(config).toEqual({ provider: 'extractive' })
    expect(notice).toContain('OPENAI_API_KEY is not set; using the built-in extractive summarizer (offline)')
  })

  it('--provider openai insists: no key and no --base-url is a usage error up front', async () => {
    await expect(resolveSummarizer(resolveOptions({ provider: 'openai' }))).rejects.toThrow('--provider openai: OPENAI_API_KEY is not set')
  })

  it('--provider openai with --base-url needs no key, for local servers', async () => {
    const { config, notice } = await resolveSummarizer(resolveOptions({ provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.2' }))
    expect(config).toMatchObject({ provider: 'openai', settings: { model: 'llama3.2', baseURL: 'http://127.0.0.1:11434/v1' } })
    expect(notice).toContain('OPENAI_API_KEY unset')
  })

  it('--base-url wins over OPENAI_BASE_URL, and must be an http(s) URL', async () => {
    Object.assign(process.env, { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' })
    const { config } = await resolveSummarizer(resolveOptions({ provider: 'openai', baseUrl: 'http://127.0.0.1:2/v1' }))
    expect(config).toMatchObject({ settings: { baseURL: 'http://127.0.0.1:2/v1' } })
    expect(() => resolveOptions({ baseUrl: 'ftp://example.com' })).toThrow('--base-url must be an http: or https: URL, got `ftp://example.com`')
  })

  it('--azure-deployment needs AZURE_OPENAI_ENDPOINT', async () => {
    process.env['AZURE_OPENAI_API_KEY'] = KEY
    await expect(resolveSummarizer(resolveOptions({ provider: 'openai', azureDeployment: 'd' }))).rejects.toThrow('needs AZURE_OPENAI_ENDPOINT')
  })
})
