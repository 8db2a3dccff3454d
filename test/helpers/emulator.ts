import http from 'node:http'
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { afterEach } from 'vitest'
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/server.js'
import { quietEmulator } from './bedrock.js'

/** Distinct sentences, so an extractive summary has something to choose from. */
export const LONG_TEXT = Array.from(
  { length: 40 },
  (_, i) => `Section ${i + 1} explains how the harbour of town number ${i * 7 + 3} handled ${i * 13 + 5} ships during the storm season.`,
).join(' ')

/**
 * Emulators and real SDK clients for the tests of one file, each closed after its test:
 * `emulator()` starts one with no latency, jitter or overshoot unless asked; `sdkClient(url)`
 * is the AWS SDK as a user would set it up against it (HTTP/1.1 keep-alive, fake
 * credentials, one attempt so a test sees every reply).
 */
export function useEmulators(): { emulator: (options?: EmulatorOptions) => Promise<RunningEmulator>; sdkClient: (url: string) => BedrockRuntimeClient } {
  const running: RunningEmulator[] = []
  const clients: BedrockRuntimeClient[] = []
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await Promise.all(running.splice(0).map((emulator) => emulator.close()))
  })
  return {
    async emulator(options = {}) {
      const started = await quietEmulator(options)
      running.push(started)
      return started
    },
    sdkClient(url) {
      const client = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: url,
        maxAttempts: 1,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true }) }),
      })
      clients.push(client)
      return client
    },
  }
}
