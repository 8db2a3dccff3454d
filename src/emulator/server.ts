/**
 * `startEmulator()`: a local Bedrock- and OpenAI-compatible server, composed from the shared layer
 * (options, fake model, quotas, fault dice, stats, HTTP) and the protocol modules in
 * `protocols/`. A new protocol is one module whose routes are added to `protocols` below.
 */
import { Quotas } from './admission.js'
import { BatchJobs } from './batch-jobs.js'
import { serve } from './http.js'
import type { Backend } from './invocation.js'
import { resolveEmulatorOptions } from './options.js'
import type { EmulatorOptions } from './options.js'
import { bedrockControl } from './protocols/bedrock-control.js'
import { bedrockRuntime } from './protocols/bedrock-runtime.js'
import { openai } from './protocols/openai.js'
import { openObjectStore } from './s3-store.js'
import { StatsRecorder } from './stats.js'
import type { EmulatorStats } from './stats.js'

export { EMULATOR_MODELS } from './catalogue.js'
export { EMULATOR_DEFAULTS } from './options.js'
export type { EmulatorOptions } from './options.js'
export type { EmulatorSecond, EmulatorStats } from './stats.js'

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`: pass it as the Bedrock Runtime endpoint, `${url}/v1` as the OpenAI base URL, or as the Azure endpoint. */
  url: string
  port: number
  stats(): EmulatorStats
  /** Sets the requests-per-minute quota from now on, as an `--rpm-at` change would (a test changing the quota on an event). */
  setRpm(rpm: number): void
  /** The requests-per-minute quota in force now; undefined: no limit. */
  rpm(): number | undefined
  /** Model invocation (batch) jobs created since start, a retried create with the same token not counted again. */
  batchJobsCreated(): number
  /** Stops listening and drops every connection, including requests still waiting for their reply. */
  close(): Promise<void>
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const settings = resolveEmulatorOptions(options)
  // One reading of the clock: the quotas' buckets and the timeline's second 0 agree.
  const startedMs = settings.now()
  const stats = new StatsRecorder(() => settings.now(), startedMs)
  const quotas = new Quotas(settings, startedMs)
  const backend: Backend = { settings, quotas, stats }
  const jobs = new BatchJobs(settings, openObjectStore(settings.s3EndpointUrl ?? (process.env['AWS_ENDPOINT_URL_S3'] || undefined)))
  const listening = await serve({
    host: settings.host,
    port: settings.port,
    // The first protocol also answers requests that match no route.
    protocols: [bedrockRuntime(backend), openai(backend), bedrockControl(jobs, settings.deniedModels)],
    stats,
  })
  return {
    url: listening.url,
    port: listening.port,
    stats: () => stats.snapshot(),
    setRpm: (rpm) => {
      if (!Number.isSafeInteger(rpm) || rpm < 1) throw new TypeError(`rpm must be an integer of 1 or more, got \`${String(rpm)}\``)
      quotas.setRpm(rpm)
    },
    rpm: () => quotas.rpmNow(),
    batchJobsCreated: () => jobs.createdCount,
    close: () => {
      jobs.close()
      return listening.close()
    },
  }
}
