import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import pLimit from 'p-limit'
import { extractPage } from '../../src/extract.js'
import type { Timings } from '../../src/record.js'
import type { TokenUsage } from '../../src/summarizers/summarizer.js'
import { buildPrompt } from '../../src/summarizers/prompt.js'
import type { SummarizerConfig } from '../../src/summarizers/config.js'
import { extractiveSummary } from '../../src/summarizers/extractive.js'

/** Same cap on page text as the project's default, so both send the model the same prompt. */
const MAX_INPUT_CHARS = 12_000

/** A page's outcome as the benchmark counts it. */
export interface PageOutcome {
  ok: boolean
  timingsMs: Timings
  /** Our error code, or the error's name for the p-limit loop, which has no codes. */
  errorCode: string | null
  /** Model tokens of the page's call; null without a model or when it failed. */
  usage: TokenUsage | null
}

/**
 * The loop most people write: `p-limit(concurrency)` around fetch → extract → one SDK call,
 * everything on the main thread, with the SDK's own retries. Extraction and the prompt are
 * the project's own functions, so against `async` only the scheduling differs. The one
 * thing a hand-written loop must add for a local endpoint is an HTTP/1.1 handler (the SDK
 * speaks HTTP/2 by default); its keep-alive agent gets one socket per slot, as ours does.
 */
export async function runPLimitPeer(urls: readonly string[], concurrency: number, summarizer: SummarizerConfig, maxChars: number, record: (outcome: PageOutcome) => void): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const secureAgent = new https.Agent({ keepAlive: true, maxSockets: concurrency })
  const client =
    summarizer.provider === 'bedrock'
      ? new BedrockRuntimeClient({
          region: summarizer.settings.region,
          ...(summarizer.settings.endpoint === undefined ? {} : { endpoint: summarizer.settings.endpoint }),
          requestHandler: new NodeHttpHandler({ httpAgent: agent, httpsAgent: secureAgent }),
        })
      : undefined
  const limit = pLimit(concurrency)
  try {
    await Promise.all(
      urls.map((url) =>
        limit(async (): Promise<void> => {
          const started = performance.now()
          const timingsMs: Timings = { fetch: 0, extract: 0, summarize: 0, total: 0 }
          try {
            const response = await fetch(url)
            if (!response.ok) throw new Error(`HTTP ${response.status}`)
            const html = await response.text()
            timingsMs.fetch = performance.now() - started
            const extractStarted = performance.now()
            const page = extractPage(html, { url, contentType: response.headers.get('content-type')?.startsWith('text/plain') ? 'text/plain' : 'text/html' })
            const text = page.text.slice(0, MAX_INPUT_CHARS)
            timingsMs.extract = performance.now() - extractStarted
            const summarizeStarted = performance.now()
            let usage: TokenUsage | null = null
            if (client === undefined || summarizer.provider !== 'bedrock') {
              extractiveSummary(text, { maxChars, lang: page.lang, title: page.title })
            } else {
              const { system, user } = buildPrompt({ text, title: page.title, lang: page.lang, langDeclared: page.langDeclared, maxChars })
              const reply = await client.send(
                new ConverseCommand({
                  modelId: summarizer.settings.modelId,
                  system: [{ text: system }],
                  messages: [{ role: 'user', content: [{ text: user }] }],
                  inferenceConfig: { maxTokens: Math.ceil(maxChars / 2) + 64, temperature: 0 },
                }),
              )
              usage = { inputTokens: reply.usage?.inputTokens ?? 0, outputTokens: reply.usage?.outputTokens ?? 0 }
            }
            timingsMs.summarize = performance.now() - summarizeStarted
            timingsMs.total = performance.now() - started
            record({ ok: true, timingsMs, errorCode: null, usage })
          } catch (error) {
            timingsMs.total = performance.now() - started
            record({ ok: false, timingsMs, errorCode: (error as { name?: string } | null)?.name ?? 'Error', usage: null })
          }
        }),
      ),
    )
  } finally {
    client?.destroy()
    agent.destroy()
    secureAgent.destroy()
  }
}
