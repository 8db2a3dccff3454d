import type { CallGate } from '../control/gate.js'
import type { BedrockSettings } from './bedrock.js'
import { ExtractiveSummarizer } from './extractive.js'
import { renderCall, type RenderedCall } from './model-request.js'
import { OpenAISummarizer, type OpenAISettings } from './openai.js'
import type { Summarizer, SummaryRequest, SummaryResult } from './summarizer.js'

/**
 * Which summarizer to build, as plain data: the main thread decides it once, and every
 * worker thread builds its own instance from it (one model client per thread).
 */
export type SummarizerConfig =
  | { provider: 'extractive' }
  | { provider: 'bedrock'; settings: BedrockSettings }
  | { provider: 'openai'; settings: OpenAISettings }

export function createSummarizer(config: SummarizerConfig): Summarizer {
  switch (config.provider) {
    case 'bedrock':
      return new DeferredBedrock(config.settings)
    case 'openai':
      return new OpenAISummarizer(config.settings)
    case 'extractive':
      return new ExtractiveSummarizer()
  }
}

/** The model name records carry, known before any call is made. */
export function modelName(config: SummarizerConfig): string {
  switch (config.provider) {
    case 'bedrock':
      return config.settings.modelId
    case 'openai':
      return config.settings.model
    case 'extractive':
      return 'extractive'
  }
}

/** The config one of `threads` worker threads builds from: its client needs only its share of the run's sockets. */
export function perThread(config: SummarizerConfig, sockets: number): SummarizerConfig {
  return config.provider === 'extractive' ? config : ({ ...config, settings: { ...config.settings, maxSockets: sockets } } as SummarizerConfig)
}

/**
 * The Bedrock summarizer, with the AWS SDK (about 0.2 s of module loading) loaded at the
 * first call instead of when the summarizer is built: a run that never reaches a model
 * (every page fails to fetch, `--version`, a worker thread that only extracts) never pays
 * for it. Concurrent first calls share one load and one client.
 */
class DeferredBedrock implements Summarizer {
  readonly provider = 'bedrock'
  readonly #settings: BedrockSettings
  #summarizer: Promise<Summarizer> | undefined

  constructor(settings: BedrockSettings) {
    this.#settings = settings
  }

  async summarize(request: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult> {
    this.#summarizer ??= import('./bedrock.js').then(({ BedrockSummarizer }) => new BedrockSummarizer(this.#settings))
    return (await this.#summarizer).summarize(request, signal, gate)
  }

  /** BedrockSummarizer's render, without loading the SDK: a cache hit never needs it. */
  render(request: SummaryRequest): RenderedCall {
    return renderCall('bedrock', this.#settings.modelId, request, this.#settings)
  }

  async close(): Promise<void> {
    await (await this.#summarizer)?.close()
  }
}
