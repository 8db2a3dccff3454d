import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { serveDirectory, type StaticServer } from '../../src/cli/static-server.js'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/server.js'
import { useFakeAwsCredentials } from './bedrock.js'
import { CORPUS_DIR } from './corpus.js'
import { useMoto, type Moto } from './moto.js'

export const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch'

export interface BatchWorld {
  moto: Moto
  /** The corpus served on 127.0.0.1, and a scratch folder: both set once the file's tests start. */
  pages(): StaticServer
  dir(): string
  /** An emulator that reads S3 from moto, closed after the test; `defaults` first, then `options`. */
  emulator(options?: EmulatorOptions): Promise<RunningEmulator>
}

/**
 * What a batch test file needs, set up once for the file: fake AWS credentials, moto_server
 * with a `batch` bucket before each test, the corpus pages on a local server, a scratch
 * folder, and emulators closed after each test.
 */
export function useBatchWorld(defaults: EmulatorOptions = {}): BatchWorld {
  useFakeAwsCredentials({ region: 'us-east-1' })
  const moto = useMoto()
  let pages: StaticServer | undefined
  let dir: string | undefined
  const running: RunningEmulator[] = []
  beforeAll(async () => {
    pages = await serveDirectory(CORPUS_DIR)
    dir = mkdtempSync(join(tmpdir(), 'summarize-urls-batch-'))
  })
  afterAll(async () => {
    await pages?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'batch' }))
  })
  afterEach(async () => {
    await Promise.all(running.splice(0).map((emulator) => emulator.close()))
  })
  return {
    moto,
    pages: () => pages as StaticServer,
    dir: () => dir as string,
    async emulator(options = {}) {
      const started = await startEmulator({ seed: 1, latencyMs: 0, jitterMs: 0, overshootRate: 0, batchRecordMs: 1, s3EndpointUrl: moto.url, ...defaults, ...options })
      running.push(started)
      return started
    },
  }
}
