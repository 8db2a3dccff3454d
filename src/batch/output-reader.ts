import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { outcomeOf, type Outcome } from './output-record.js'
import { lineOf } from './record-id.js'

/** One line of an output object, with where it is and whether its newline arrived. */
export interface OutputLine {
  text: string
  /** 1-based line number in its object. */
  number: number
  /** False only for a last line without a trailing newline: the object may be cut short. */
  terminated: boolean
}

/**
 * The lines of a stream as they arrive, split on `\n` (a `\r` before it dropped), knowing
 * whether the last one ended with a newline: readline cannot tell a torn last record from a
 * whole one.
 */
export async function* outputLines(stream: Readable): AsyncGenerator<OutputLine> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let number = 0
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer)
    let at: number
    while ((at = pending.indexOf('\n')) !== -1) {
      number += 1
      yield { text: pending.slice(0, at).replace(/\r$/, ''), number, terminated: true }
      pending = pending.slice(at + 1)
    }
  }
  pending += decoder.end()
  if (pending !== '') yield { text: pending, number: number + 1, terminated: false }
}

/** Something in a job's outputs that could not be taken as it was: counted and explained, never fatal. */
export interface OutputProblem {
  /** `unreadable`: not JSON, torn, or without a recordId; `unknown`: a recordId not of this run; `duplicate`: a recordId read before. */
  kind: 'unreadable' | 'unknown' | 'duplicate' | 'manifest'
  /** `part-000.jsonl.out:57` */
  where: string
  message: string
  /** The input line it cost a record to, when the damaged output names one. */
  line?: number
}

/** The token counts of one source (the records, or a manifest). */
export interface TokenCounts {
  inputTokens: number
  outputTokens: number
}

/**
 * What `collect` learns from a job's outputs, filled one line at a time: each input line's
 * outcome (the first record read for it), the tokens the records report, the manifests'
 * token counts, and every problem met. A damaged line costs at most the record it names.
 */
export class OutputLedger {
  readonly outcomes = new Map<number, Outcome>()
  readonly problems: OutputProblem[] = []
  /** Summed from the ok records' `usage`: what was actually read, so what the records are worth. */
  readonly recordTokens: TokenCounts = { inputTokens: 0, outputTokens: 0 }
  /** Summed from the manifests; undefined until one is read. */
  manifestTokens: TokenCounts | undefined
  readonly #firstSeen = new Map<number, string>()
  readonly #known: ReadonlySet<number>

  /** `known`: the input lines that were sent to the model; any other recordId is not ours. */
  constructor(known: ReadonlySet<number>) {
    this.#known = known
  }

  /** One line of `<file>.jsonl.out`. */
  readLine(file: string, line: OutputLine): void {
    if (line.text.trim() === '') return
    const where = `${file}:${line.number}`
    let value: unknown
    try {
      value = JSON.parse(line.text)
    } catch {
      const what = line.terminated ? 'is not JSON' : 'is cut short (a torn last record)'
      // A torn or garbled record may still name its recordId: that page then gets an explained error record.
      const at = this.#ours(/"recordId"\s*:\s*"([^"\\]{1,64})"/.exec(line.text)?.[1])
      if (at !== undefined && !this.outcomes.has(at)) return this.#invalid(at, where, `the batch output line ${where} ${what}`)
      return void this.problems.push({ kind: 'unreadable', where, message: `${where} ${what}${at === undefined ? ' and names no recordId of this run' : ''}: skipped` })
    }
    const recordId = isObject(value) ? value['recordId'] : undefined
    if (typeof recordId !== 'string') return void this.problems.push({ kind: 'unreadable', where, message: `${where} has no recordId: skipped` })
    const at = this.#ours(recordId)
    if (at === undefined) return void this.problems.push({ kind: 'unknown', where, message: `${where} has recordId ${JSON.stringify(recordId).slice(0, 80)}, which is no record of this run: skipped` })
    const outcome = outcomeOf(value as Record<string, unknown>)
    const first = this.#firstSeen.get(at)
    if (first !== undefined) {
      // A whole record after an unreadable one for the same line is worth more than the first.
      if (outcome === undefined || this.outcomes.get(at)?.kind !== 'invalid') {
        return void this.problems.push({ kind: 'duplicate', where, line: at, message: `${where} repeats recordId ${recordId} (input line ${at}), already read at ${first}: kept the first` })
      }
      this.problems.push({ kind: 'duplicate', where, line: at, message: `${where} repeats recordId ${recordId} (input line ${at}), unreadable at ${first}: took this one` })
    } else if (outcome === undefined) return this.#invalid(at, where, `the batch output line ${where} has neither a modelOutput nor an error`)
    if (outcome === undefined) return
    this.#firstSeen.set(at, where)
    this.outcomes.set(at, outcome)
    if (outcome.kind === 'ok' && outcome.usage !== null) {
      this.recordTokens.inputTokens += outcome.usage.inputTokens
      this.recordTokens.outputTokens += outcome.usage.outputTokens
    }
  }

  /** The whole text of a `manifest.json.out`. */
  readManifest(file: string, text: string): void {
    let manifest: unknown
    try {
      manifest = JSON.parse(text)
    } catch {
      return void this.problems.push({ kind: 'manifest', where: file, message: `${file} is not JSON: the token counts come from the records alone` })
    }
    if (!isObject(manifest)) return void this.problems.push({ kind: 'manifest', where: file, message: `${file} is not a manifest: the token counts come from the records alone` })
    const tokens = (this.manifestTokens ??= { inputTokens: 0, outputTokens: 0 })
    tokens.inputTokens += count(manifest['inputTokenCount'])
    tokens.outputTokens += count(manifest['outputTokenCount'])
  }

  #ours(recordId: string | undefined): number | undefined {
    const at = recordId === undefined ? undefined : lineOf(recordId)
    return at !== undefined && this.#known.has(at) ? at : undefined
  }

  #invalid(at: number, where: string, message: string): void {
    this.#firstSeen.set(at, where)
    this.outcomes.set(at, { kind: 'invalid', message })
    this.problems.push({ kind: 'unreadable', where, line: at, message: `${message} (input line ${at}): its record is a BATCH_OUTPUT_INVALID error` })
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0
}
