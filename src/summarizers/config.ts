import { BedrockSummarizer, type BedrockSettings } from './bedrock.js'
import { ExtractiveSummarizer } from './extractive.js'
import type { Summarizer } from './summarizer.js'

/**
 * Which summarizer to build, as plain data: the main thread decides it once, and every
 * worker thread builds its own instance from it (one Bedrock client per thread).
 */
export type SummarizerConfig = { provider: 'extractive' } | { provider: 'bedrock'; settings: BedrockSettings }

export function createSummarizer(config: SummarizerConfig): Summarizer {
  return config.provider === 'bedrock' ? new BedrockSummarizer(config.settings) : new ExtractiveSummarizer()
}

/** The model name records carry, known before any call is made. */
export function modelName(config: SummarizerConfig): string {
  return config.provider === 'bedrock' ? config.settings.modelId : 'extractive'
}
