import { describe, expect, it } from 'vitest'
import { resolveTuneOptions } from '../bench/tune-options.js'
import { startEmulator } from '../src/emulator/server.js'
import { runCli } from './helpers/cli.js'

describe('tune against an OpenAI-compatible server', () => {
  it('takes --provider openai --base-url, and a server on this machine bills nobody', () => {
    expect(resolveTuneOptions({ provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }).target).toMatchObject({ kind: 'endpoint', provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', billed: false })
    expect(resolveTuneOptions({ provider: 'openai' }).target).toMatchObject({ kind: 'endpoint', provider: 'openai', billed: true })
    expect(() => resolveTuneOptions({ baseUrl: 'http://127.0.0.1:9/v1' })).toThrow('--base-url needs --provider openai')
  })

  it('sweeps a setting against the emulator speaking OpenAI', async () => {
    const emulator = await startEmulator({ seed: 1, latencyMs: 20, jitterMs: 5 })
    try {
      const { code, stdout, stderr } = await runCli(['tune', '--provider', 'openai', '--base-url', `${emulator.url}/v1`, '--threads', '1', '--concurrency', '2', '--rounds', '1'])
      expect(code, stderr).toBe(0)
      expect(stderr).toContain(`model: OpenAI model gpt-4o-mini at ${emulator.url}/v1`)
      expect(stdout.length).toBeGreaterThan(0)
      expect(emulator.stats().ok).toBeGreaterThanOrEqual(2)
    } finally {
      await emulator.close()
    }
  }, 60_000)
})
