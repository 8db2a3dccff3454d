import type { CallGate } from '../control/gate.js'
import type { RenderedCall } from './model-request.js'
import type { Instruction } from './prompt-template.js'

/** What a summarizer is given: the extracted page, already cut to the input budget. */
export interface SummaryRequest {
  /** Main text of the page, whitespace collapsed. */
  text: string
  /** Page title, or '' when the page has none. */
  title: string
  /** BCP 47 language tag of the page ('ja', 'en-US'), or '' when unknown. */
  lang: string
  /**
   * Whether the page declared `lang` itself (`<html lang>`, Content-Language). Otherwise it
   * was detected from the text, which is a guess on short pages: the prompt then leaves the
   * language to the model. Default false.
   */
  langDeclared?: boolean
  /** The reply must be at most this long (UTF-16 code units, as String#length counts); 0: no cap. */
  maxChars: number
  /** The user's instruction (`--prompt`) and this row's values for it. Default: a summary of the page. */
  instruction?: Instruction
  /** The page's URL after redirects, for the instruction's `{url}`. */
  url?: string
}

export interface TokenUsage {
  inputTokens: number
  outputTokens: number
}

export interface SummaryResult {
  /** The summary as the model gave it; the caller enforces maxChars. */
  summary: string
  /** The model that wrote it (the extractive summarizer reports 'extractive'). */
  model: string
  /** Tokens billed for the call; null for summarizers that do not use tokens. */
  usage: TokenUsage | null
  /** How many calls it took, counting retries (0: answered from the cache). */
  attempts: number
  /** Set by the reply cache: `hit` when the reply came from it and no call was made. */
  cache?: 'hit' | 'miss' | undefined
}

/** Who writes a summary; records carry it. */
export type SummarizerProvider = 'bedrock' | 'openai' | 'extractive'

/**
 * The extension point between a page and a model. Implementations: `ExtractiveSummarizer`
 * (offline, built in), `BedrockSummarizer` (Converse API) and `OpenAISummarizer` (Chat
 * Completions, also Azure OpenAI and compatible servers). Failures are thrown as
 * `PageError` with a stable code.
 */
export interface Summarizer {
  readonly provider: SummarizerProvider
  /** `gate`: the run's rate and concurrency control, asked before every model call (retries included). */
  summarize(request: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult>
  /**
   * Exactly what `summarize` sends the model for `request` (summarize builds its call from
   * it): the reply cache's key is computed from it. Absent for a summarizer that calls no
   * model (the offline one), whose replies are not cached.
   */
  render?(request: SummaryRequest): RenderedCall
  /** Releases sockets and other per-thread state. */
  close(): Promise<void>
}
