import { afterEach, describe, expect, it } from 'vitest'
import { analyzePage, type AnalyzeOutcome, type AnalyzeTask } from '../src/analyze.js'
import { callWithPolicy } from '../src/control/call.js'
import type { CallGate } from '../src/control/gate.js'
import { RateController } from '../src/control/rate.js'
import type { RetryPolicy } from '../src/control/retry.js'
import type { ErrorVerdict } from '../src/control/verdict.js'
import { ERROR_CODES } from '../src/errors.js'
import type { Summarizer, SummaryRequest, SummaryResult } from '../src/summarizers/summarizer.js'
import { jsonReply, scriptedServer, type Reply, type ScriptedServer } from './helpers/scripted-server.js'
import { articlePage } from './helpers/servers.js'

/**
 * A second provider written the way the next ones will be: a request function and a
 * classifier of its own (here by HTTP status, with rules Bedrock does not have), plugged into
 * the real retry loop and rate controller through `callWithPolicy`, without a line of
 * `src/control/` knowing about it.
 */
class StatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter: string | null,
  ) {
    super(`HTTP ${status}`)
  }
}

function classifyByStatus(error: unknown): ErrorVerdict {
  if (!(error instanceof StatusError)) return { code: ERROR_CODES.MODEL_ERROR, message: `network error: ${String(error)}`, retryable: true, fatal: 'untilSuccess' }
  const message = `status-model answered HTTP ${error.status}`
  if (error.status === 429) {
    const seconds = Number(error.retryAfter)
    return { code: ERROR_CODES.THROTTLED, message, retryable: true, fatal: false, ...(error.retryAfter !== null && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {}) }
  }
  if (error.status === 401) return { code: ERROR_CODES.ACCESS_DENIED, message: `${message}: check STATUS_MODEL_KEY`, retryable: false, fatal: 'always' }
  // This provider's own rule: a conflict is worth exactly one more try.
  if (error.status === 409) return { code: ERROR_CODES.MODEL_ERROR, message, retryable: true, maxRetries: 1, fatal: false }
  if (error.status >= 500) return { code: ERROR_CODES.MODEL_ERROR, message, retryable: true, fatal: false }
  return { code: ERROR_CODES.MODEL_VALIDATION, message, retryable: false, fatal: false }
}

class StatusModelSummarizer implements Summarizer {
  // The union names the providers there are today; analyzePage reads it only to word one message.
  readonly provider = 'bedrock'
  readonly #url: string
  readonly #retry: RetryPolicy

  constructor(url: string, retry: RetryPolicy) {
    this.#url = url
    this.#retry = retry
  }

  async summarize(req: SummaryRequest, signal?: AbortSignal, gate?: CallGate): Promise<SummaryResult> {
    const { value, attempts } = await callWithPolicy(
      async (signal) => {
        const res = await fetch(`${this.#url}/v1/summarize`, { method: 'POST', body: JSON.stringify({ text: req.text, maxChars: req.maxChars }), ...(signal === undefined ? {} : { signal }) })
        if (!res.ok) {
          await res.body?.cancel()
          throw new StatusError(res.status, res.headers.get('retry-after'))
        }
        const body = (await res.json()) as { summary: string; tokens: number }
        return { ok: true, value: body.summary, tokens: body.tokens }
      },
      classifyByStatus,
      { retry: this.#retry, gate, estimatedTokens: 500, signal },
    )
    return { summary: value, model: 'status-model', usage: null, attempts }
  }

  async close(): Promise<void> {}
}

const RETRY: RetryPolicy = { retries: 4, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5000 }
const ok: Reply = jsonReply(200, { summary: 'The harbour moved grain.', tokens: 40 })
const status =
  (code: number, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers })
    res.end('{}')
  }

const task = (n: number): AnalyzeTask => ({
  url: `http://pages.test/${n}`,
  body: new TextEncoder().encode(articlePage(`harbour ${n}`)),
  contentType: 'text/html',
  headerCharset: undefined,
  maxChars: 200,
  maxInputChars: 12_000,
})

const servers: ScriptedServer[] = []
const gates: RateController[] = []
afterEach(async () => {
  for (const gate of gates.splice(0)) gate.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function setup(replies: Reply[], maxConcurrency = 4): Promise<{ server: ScriptedServer; gate: RateController; summarizer: StatusModelSummarizer }> {
  const server = await scriptedServer(replies)
  const gate = new RateController({ maxConcurrency })
  servers.push(server)
  gates.push(gate)
  return { server, gate, summarizer: new StatusModelSummarizer(server.url, RETRY) }
}

const codeOf = (outcome: AnalyzeOutcome): string => (outcome.status === 'ok' ? 'ok' : outcome.error.code)

describe('a second provider plugs into the shared retry loop and rate controller', () => {
  it('retries what its classifier calls retryable, waits the Retry-After it read, and the gate counts the throttle', async () => {
    const { server, gate, summarizer } = await setup([status(503), status(429, { 'retry-after': '0.3' }), ok])
    const outcome = await analyzePage(task(1), summarizer, undefined, gate)
    expect(outcome).toMatchObject({ status: 'ok', summary: 'The harbour moved grain.', model: 'status-model' })
    expect(server.received).toHaveLength(3)
    expect(server.received[2]!.at - server.received[1]!.at).toBeGreaterThanOrEqual(290)
    expect(gate.stats()).toMatchObject({ calls: 3, throttled: 1 })
  })

  it('gives up after the retries its classifier allows, fewer than the policy would', async () => {
    const { server, summarizer, gate } = await setup([status(409)])
    const outcome = await analyzePage(task(1), summarizer, undefined, gate)
    expect(outcome.status === 'error' && outcome.error).toEqual({ code: 'MODEL_ERROR', message: 'status-model answered HTTP 409', attempts: 2 })
    expect(server.received).toHaveLength(2)
  })

  it('does not retry what it calls a bad request, and such errors never trip the breaker', async () => {
    const { server, gate, summarizer } = await setup([status(400)], 2)
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => analyzePage(task(i), summarizer, undefined, gate)))
    expect(outcomes.map((o) => (o.status === 'error' ? [o.error.code, o.error.attempts] : 'ok'))).toEqual(outcomes.map(() => ['MODEL_VALIDATION', 1]))
    expect(server.received).toHaveLength(8)
    expect(gate.tripped).toBeUndefined()
  })

  it('stops the run on the errors it calls fatal: a few calls, then every other page is not attempted', async () => {
    const { server, gate, summarizer } = await setup([status(401)], 2)
    const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => analyzePage(task(i), summarizer, undefined, gate)))
    const codes = outcomes.map(codeOf)
    expect(codes.filter((c) => c === 'ACCESS_DENIED').length).toBeGreaterThanOrEqual(3)
    expect(codes.filter((c) => c !== 'ACCESS_DENIED').every((c) => c === 'NOT_ATTEMPTED')).toBe(true)
    // The breaker trips on the third; at most the other call in flight was already sent.
    expect(server.received.length).toBeLessThanOrEqual(3 + 1)
    expect(gate.tripped).toEqual({ code: 'ACCESS_DENIED', message: 'status-model answered HTTP 401: check STATUS_MODEL_KEY' })
  })

  it('a network failure it marks untilSuccess stops a run that never worked, but not one that has', async () => {
    const { server, summarizer: healthy, gate: healthyGate } = await setup([ok])
    expect((await analyzePage(task(0), healthy, undefined, healthyGate)).status).toBe('ok')
    await server.close()
    const afterSuccess = await Promise.all(Array.from({ length: 4 }, (_, i) => analyzePage(task(i), healthy, undefined, healthyGate)))
    expect(afterSuccess.map(codeOf)).toEqual(['MODEL_ERROR', 'MODEL_ERROR', 'MODEL_ERROR', 'MODEL_ERROR'])
    expect(healthyGate.tripped).toBeUndefined()

    const neverWorked = new RateController({ maxConcurrency: 2 })
    gates.push(neverWorked)
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => analyzePage(task(i), healthy, undefined, neverWorked)))
    expect(outcomes.map(codeOf)).toContain('NOT_ATTEMPTED')
    expect(neverWorked.tripped?.message).toMatch(/^network error/)
  })
})
