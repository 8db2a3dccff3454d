import { BedrockSummarizer, type BedrockSettings } from './bedrock.js'
import { ExtractiveSummarizer } from './extractive.js'
import { OpenAISummarizer, type OpenAISettings } from './openai.js'
import type { Summarizer } from './summarizer.js'

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
      return new BedrockSummarizer(config.settings)
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
