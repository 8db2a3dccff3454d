import { modelRequestFor } from '../summarizers/model-request.js'
import type { SummaryRequest } from '../summarizers/summarizer.js'

/** Bedrock's names for the two record bodies a job can take. */
export type ModelInvocationType = 'Converse' | 'InvokeModel'

const ANTHROPIC_VERSION = 'bedrock-2023-05-31'

/**
 * A record's `modelInput`: the online path's prompt and token ceiling (buildPrompt,
 * maxTokensFor), as a Converse body, or as the native Anthropic Messages body for
 * `InvokeModel` (the only native body offered: the default models are Claude).
 */
export function modelInputFor(request: SummaryRequest, type: ModelInvocationType): Record<string, unknown> {
  const { system, user, maxTokens, temperature } = modelRequestFor(request)
  if (type === 'Converse') {
    return { system: [{ text: system }], messages: [{ role: 'user', content: [{ text: user }] }], inferenceConfig: { maxTokens, temperature } }
  }
  return { anthropic_version: ANTHROPIC_VERSION, max_tokens: maxTokens, temperature, system, messages: [{ role: 'user', content: [{ type: 'text', text: user }] }] }
}

/** `auto` is Converse: every text model Bedrock batches takes it, and one reader handles every output. */
export function invocationTypeFor(choice: 'auto' | 'converse' | 'invoke-model', modelId: string): ModelInvocationType {
  if (choice !== 'invoke-model') return 'Converse'
  if (!/(^|\.)anthropic\./.test(modelId)) throw new RangeError(`--invocation-type invoke-model takes the Anthropic Messages body, for Claude models only; use converse for \`${modelId}\``)
  return 'InvokeModel'
}
