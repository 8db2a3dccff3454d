import { afterAll, beforeAll, vi } from 'vitest'
import { DEFAULT_RETRY_POLICY } from '../../src/control/retry.js'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js'
import type { BedrockSettings } from '../../src/summarizers/bedrock.js'
import type { SummarizerConfig } from '../../src/summarizers/config.js'

/** The default model, which the emulator serves. */
export const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0'

/** The real policy with backoffs of milliseconds: a throttling storm ends within the test. */
export const FAST_RETRY = { ...DEFAULT_RETRY_POLICY, retries: 8, baseDelayMs: 5, maxDelayMs: 50 }

/**
 * Fake AWS credentials (and a region, if given) for every test of the file, restored
 * afterwards. Set before any test runs, so worker threads started by a test inherit them too.
 */
export function useFakeAwsCredentials(values: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string; region?: string } = {}): void {
  beforeAll(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', values.accessKeyId ?? 'test')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', values.secretAccessKey ?? 'test')
    if (values.sessionToken !== undefined) vi.stubEnv('AWS_SESSION_TOKEN', values.sessionToken)
    if (values.region !== undefined) vi.stubEnv('AWS_REGION', values.region)
  })
  afterAll(() => {
    vi.unstubAllEnvs()
  })
}

/** The emulator with no latency, jitter or overshoot unless asked: replies depend only on the request. */
export function quietEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0, ...options })
}

/** Settings for a Bedrock client of `endpoint` (the emulator or a scripted server). */
export function bedrockSettings(endpoint: string, overrides: Partial<BedrockSettings> = {}): BedrockSettings {
  return { modelId: HAIKU, region: 'us-east-1', endpoint, maxSockets: 8, requestTimeoutMs: 5_000, retry: FAST_RETRY, ...overrides }
}

/** The run's summarizer choice for Bedrock at `endpoint`. */
export function bedrockConfig(endpoint: string, overrides: Partial<BedrockSettings> = {}): SummarizerConfig {
  return { provider: 'bedrock', settings: bedrockSettings(endpoint, overrides) }
}
