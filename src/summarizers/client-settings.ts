import type { RetryPolicy } from '../control/retry.js'

/** What every provider's client is sized and bounded by (`BedrockSettings`, `OpenAISettings`). */
export interface ModelClientSettings {
  /** Keep-alive sockets per client; size it to the calls this client runs at once. */
  maxSockets: number
  /**
   * Longest a single call may take, in ms (e.g. 60 000); for Bedrock, until the response
   * headers arrive.
   */
  requestTimeoutMs: number
  retry: RetryPolicy
  /** Upper bound on the reply length in tokens. Default 4096. */
  maxOutputTokens?: number
}

/** Time allowed to open a connection to the model's endpoint. */
export const CONNECTION_TIMEOUT_MS = 10 * 1000 // 10 s
