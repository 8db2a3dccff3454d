import { performance } from 'node:perf_hooks'
import { ERROR_CODES, PageError } from '../errors.js'

/**
 * What one page may cost to extract. Whatever the markup, a page inside these limits costs
 * bounded memory and time, and a page past them is a PAGE_TOO_COMPLEX record, not a stalled
 * thread or a process killed out of memory. The 90-page corpus peaks at 9,888 elements,
 * about 20,000 attributes and depth 38; its slowest page extracts in about 0.2 s.
 */
export const EXTRACT_LIMITS = {
  /** Elements in the document; each costs a few hundred bytes of DOM. */
  maxElements: 200_000,
  /** Attributes over all elements. */
  maxAttributes: 400_000,
  /**
   * Elements open at once (unclosed tags nested in one another). The tokenizer keeps them in
   * a stack whose every push and pop costs its length, so parsing is quadratic in this.
   */
  maxOpenElements: 25_000,
  /** Characters in one run of text between two tags (after entity decoding). */
  maxTextRunChars: 1_000_000,
  /** Wall time for the whole extraction, Readability included. */
  budgetMs: 10 * 1000, // 10 s
} as const

/**
 * Readability's cost grows much faster than the page on deep or huge documents (depth 1,000
 * takes seconds); such pages, never real articles, get their visible body text instead.
 */
export const READABILITY_LIMITS = {
  maxDepth: 256,
  maxElements: 50_000,
} as const

export function pageTooComplex(reason: string): PageError {
  return new PageError(ERROR_CODES.PAGE_TOO_COMPLEX, `the page is too complex to extract: ${reason}`)
}

/** A wall-clock deadline for one page's extraction, checked from inside the parser and the DOM. */
export class ExtractBudget {
  readonly #deadline: number
  readonly #ms: number

  constructor(ms: number = EXTRACT_LIMITS.budgetMs) {
    this.#ms = ms
    this.#deadline = performance.now() + ms
  }

  check(): void {
    if (performance.now() > this.#deadline) throw pageTooComplex(`extraction took longer than ${formatSeconds(this.#ms)}`)
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}

/** `200000` as `200,000`, for messages a user reads. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
