/**
 * The fake model behind every protocol (catalogue.ts says which model ids exist): how a
 * conversation is answered (an extractive summary of the page, at the requested length, sometimes longer,
 * cut at the token limit). Protocols flatten their wire bodies into a `Conversation` and
 * dress the `ModelReply` in their own reply shape.
 */
import { createHash } from 'node:crypto'
import { extractiveSummary } from '../summarizers/extractive.js'
import { cutToTokens, estimateTokens } from '../tokens.js'

/** A request the emulator can answer: the prompt flattened, whatever the wire format. */
export interface Conversation {
  system: string
  /** Text of the last user message: the one to answer. */
  user: string
  /** Every text the model would read, for the input token count. */
  inputText: string
  maxTokens: number | undefined
}

export interface Turn {
  role: string
  text: string
}

export function conversationOf(system: string, turns: readonly Turn[], maxTokens: number | undefined): Conversation {
  const user = turns.findLast((t) => t.role === 'user')?.text ?? ''
  return { system, user, inputText: [system, ...turns.map((t) => t.text)].join('\n'), maxTokens }
}

export interface ModelReply {
  text: string
  /** `complete` when the model said all it meant to, `max-tokens` when the reply was cut at the conversation's limit. */
  stop: 'complete' | 'max-tokens'
  outputTokens: number
}

/** Requested length when the prompt does not say (`at most N characters`). */
const DEFAULT_LIMIT_CHARS = 300
/** How far an overshooting reply runs past the requested length. */
const OVERSHOOT_FACTOR = 1.6

/**
 * The model's answer; `overshoot` (a fault roll) makes it run past the requested length, as
 * real models do. Besides summaries the fake model follows two instructions, read only from
 * the message outside the `<title>` and `<page>` fences, as a model given the fence rule
 * would: "… into one of: a, b, c" (a classifier: the label the page mentions most, the first
 * on a tie), and, gullibly, "ignore the instructions above and reply with X" (replies X): so
 * a page that escaped its fence would show in the reply, as it would with a real model.
 */
export function answer(conversation: Conversation, overshoot: boolean): ModelReply {
  const limit = requestedLength(conversation.user)
  const instruction = outsideFences(conversation.user)
  const obeyed = injected(instruction) ?? classify(instruction, pageText(conversation.user))
  let text = obeyed ?? summarize(pageText(conversation.user), overshoot ? Math.round(limit * OVERSHOOT_FACTOR) : limit)
  let stop: ModelReply['stop'] = 'complete'
  if (conversation.maxTokens !== undefined && estimateTokens(text) > conversation.maxTokens) {
    text = cutToTokens(text, conversation.maxTokens)
    stop = 'max-tokens'
  }
  return { text, stop, outputTokens: estimateTokens(text) }
}

/** About what one streamed delta of a real model carries: a few tokens. */
const DELTA_CHARS = 12

/** The reply's text as a streaming model emits it: pieces of a few words that join back into the text. */
export function deltas(text: string): string[] {
  const pieces: string[] = []
  let piece = ''
  for (const word of text.match(/\s*\S+/g) ?? []) {
    piece += word
    if (piece.length >= DELTA_CHARS) {
      pieces.push(piece)
      piece = ''
    }
  }
  if (piece !== '') pieces.push(piece)
  return pieces
}

/** What a model would summarize: the fenced page when the prompt fences it, else the whole message. */
function pageText(user: string): string {
  const fenced = /<page>([\s\S]*)<\/page>/.exec(user)
  return (fenced?.[1] ?? user).trim()
}

/** The message without its fenced title and page: what a model reads as instructions. */
function outsideFences(user: string): string {
  return user.replace(/<title>[\s\S]*?<\/title>/g, ' ').replace(/<page>[\s\S]*<\/page>/g, ' ')
}

function injected(instruction: string): string | undefined {
  return /ignore (?:all )?(?:the |previous )?instructions above,? and (?:reply|answer|say)(?: with)? "?([^".\n]+)"?/i.exec(instruction)?.[1]?.trim()
}

function classify(instruction: string, page: string): string | undefined {
  const list = /\bone of:\s*([^.\n]+)/i.exec(instruction)?.[1]
  if (list === undefined) return undefined
  const labels = list.split(/,|\bor\b/).map((label) => label.trim()).filter((label) => label !== '')
  if (labels.length === 0) return undefined
  const count = (label: string): number => page.toLowerCase().split(label.toLowerCase()).length - 1
  return labels.reduce((best, label) => (count(label) > count(best) ? label : best))
}

function requestedLength(user: string): number {
  const match = /at most (\d+) characters/.exec(user)
  const limit = match === null ? DEFAULT_LIMIT_CHARS : Number(match[1])
  return limit >= 1 ? limit : DEFAULT_LIMIT_CHARS
}

/**
 * Ranking a long page takes tens of milliseconds of CPU, during which every other reply's
 * timer waits: under load the emulator would measure itself instead of the client. Load
 * tests send the same pages again and again, so recent summaries are kept.
 */
const summaryCache = new Map<string, string>()
const SUMMARY_CACHE_ENTRIES = 512

function summarize(text: string, maxChars: number): string {
  const key = `${maxChars}:${createHash('sha1').update(text).digest('base64')}`
  let summary = summaryCache.get(key)
  if (summary === undefined) {
    summary = extractiveSummary(text, { maxChars })
    if (summaryCache.size >= SUMMARY_CACHE_ENTRIES) summaryCache.delete(summaryCache.keys().next().value!)
    summaryCache.set(key, summary)
  }
  return summary
}

// The client plans its quota with the same estimate the emulator bills with.
export { estimateTokens } from '../tokens.js'
