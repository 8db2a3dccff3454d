import { createHash } from 'node:crypto'
import { buildPrompt } from './prompt.js'
import { maxTokensFor } from './reply-budget.js'
import type { SummaryRequest } from './summarizer.js'

/**
 * Exactly what a model is sent for one page, whatever the wire format: the rendered system
 * and user prompt and every parameter that changes the reply. Bedrock (Converse), OpenAI
 * (Chat Completions) and the batch records are all built from it, and the reply cache keys
 * on it (replyKey), so a change to the prompt, its template or a parameter is a new key.
 */
export interface ModelRequest {
  system: string
  user: string
  maxTokens: number
  temperature: number
}

/** Temperature 0: a summary should be the same on every run, which is also what makes a cached reply a faithful one. */
const TEMPERATURE = 0

/** The request for one page; `maxOutputTokens` is the provider's cap on the reply (default 4096). */
export function modelRequestFor(req: SummaryRequest, maxOutputTokens?: number): ModelRequest {
  const { system, user } = buildPrompt(req)
  return { system, user, maxTokens: maxTokensFor(req, maxOutputTokens), temperature: TEMPERATURE }
}

/** A call as the cache sees it: who answers, which model, and the request. */
export interface RenderedCall {
  provider: string
  model: string
  request: ModelRequest
}

/**
 * Bumped when the meaning of a cached reply changes (what is stored, how it is read): old
 * entries then simply miss.
 */
const KEY_VERSION = 1

/**
 * The reply cache's key: a SHA-256 over the provider, the model id and every field of the
 * rendered request (the page's title and text after the `--max-input-chars` cut are inside
 * the user prompt; `--max-chars` is in the prompt and in `maxTokens`). Same content under
 * another URL gives the same key; any change to what the model would receive gives another.
 */
export function replyKey(call: RenderedCall): string {
  const { system, user, maxTokens, temperature } = call.request
  const canonical = JSON.stringify([KEY_VERSION, call.provider, call.model, system, user, maxTokens, temperature])
  return `reply:${createHash('sha256').update(canonical).digest('hex')}`
}

/** The call a provider's summarizer makes for `req`: what it sends, and what the cache keys on. */
export function renderCall(provider: string, model: string, req: SummaryRequest, settings: { maxOutputTokens?: number | undefined }): RenderedCall {
  return { provider, model, request: modelRequestFor(req, settings.maxOutputTokens) }
}
