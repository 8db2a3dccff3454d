import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import { resolveOptions } from '../src/options.js'
import { resolveSummarizer } from '../src/summarizers/resolve.js'

const VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME', 'AWS_ENDPOINT_URL']
let saved: Record<string, string | undefined>
beforeEach(() => {
  saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]))
  for (const k of VARS) delete process.env[k]
})
afterEach(() => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

const fakeCredentials = () => Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' })

describe('--provider auto', () => {
  it('uses Bedrock when credentials and a region resolve, and says so', async () => {
    fakeCredentials()
    process.env['AWS_REGION'] = 'eu-west-1'
    const { config, notice } = await resolveSummarizer(resolveOptions({}))
    expect(config).toMatchObject({ provider: 'bedrock', settings: { region: 'eu-west-1', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' } })
    expect(notice).toBe('using Bedrock model anthropic.claude-3-haiku-20240307-v1:0 at eu-west-1')
  })

  it('falls back to the extractive summarizer without credentials, saying why', async () => {
    process.env['AWS_REGION'] = 'eu-west-1'
    const { config, notice } = await resolveSummarizer(resolveOptions({}))
    expect(config).toEqual({ provider: 'extractive' })
    expect(notice).toMatch(/^no AWS credentials could be resolved .*; using the built-in extractive summarizer \(offline\)/)
  })

  it('falls back to the extractive summarizer with credentials but no region', async () => {
    fakeCredentials()
    const { config, notice } = await resolveSummarizer(resolveOptions({}))
    expect(config).toEqual({ provider: 'extractive' })
    expect(notice).toContain('no AWS region configured')
  })

  it('signs for us-east-1 when a custom endpoint is given without a region', async () => {
    fakeCredentials()
    const { config, notice } = await resolveSummarizer(resolveOptions({ endpointUrl: 'http://127.0.0.1:8787' }))
    expect(config).toMatchObject({ provider: 'bedrock', settings: { region: 'us-east-1', endpoint: 'http://127.0.0.1:8787' } })
    expect(notice).toContain('http://127.0.0.1:8787 (region us-east-1)')
  })

  it('never prints credentials written into the endpoint URL', async () => {
    fakeCredentials()
    const { notice } = await resolveSummarizer(resolveOptions({ endpointUrl: 'http://admin:hunter2secret@127.0.0.1:8787' }))
    expect(notice).not.toContain('hunter2secret')
    expect(notice).toContain('http://redacted@127.0.0.1:8787')
  })

  it('--region wins over AWS_REGION', async () => {
    fakeCredentials()
    process.env['AWS_REGION'] = 'eu-west-1'
    const { config } = await resolveSummarizer(resolveOptions({ region: 'ap-northeast-1' }))
    expect(config).toMatchObject({ settings: { region: 'ap-northeast-1' } })
  })
})

describe('--provider bedrock', () => {
  it('fails up front, as a usage error, when no credentials resolve', async () => {
    process.env['AWS_REGION'] = 'us-east-1'
    await expect(resolveSummarizer(resolveOptions({ provider: 'bedrock' }))).rejects.toThrow(UsageError)
  })

  it('names the profile it could not resolve', async () => {
    await expect(resolveSummarizer(resolveOptions({ provider: 'bedrock', profile: 'research', region: 'us-east-1' }))).rejects.toThrow(/profile `research`/)
  })
})

describe('--provider extractive', () => {
  it('never looks for AWS credentials, while auto does', async () => {
    // A profile whose credential_process leaves a mark when the chain runs it.
    const dir = mkdtempSync(join(tmpdir(), 'summarize-urls-aws-'))
    const mark = join(dir, 'probed')
    const config = join(dir, 'config')
    writeFileSync(config, `[profile probe]\nregion = us-east-1\ncredential_process = ${process.execPath} -e "require('fs').writeFileSync(process.argv[1], 'x')" ${mark}\n`)
    const savedConfig = process.env['AWS_CONFIG_FILE']
    process.env['AWS_CONFIG_FILE'] = config
    try {
      expect((await resolveSummarizer(resolveOptions({ provider: 'extractive', profile: 'probe' }))).config).toEqual({ provider: 'extractive' })
      expect(existsSync(mark)).toBe(false)
      await resolveSummarizer(resolveOptions({ provider: 'auto', profile: 'probe' }))
      expect(existsSync(mark)).toBe(true)
    } finally {
      process.env['AWS_CONFIG_FILE'] = savedConfig
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
