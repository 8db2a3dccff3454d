import { ERROR_CODES, type ErrorData } from '../errors.js'
import { redactUrlsInText } from '../redact.js'

/**
 * Why `text` cannot be summarized, or undefined when it is an absolute http(s) URL. `what`
 * names where it was read, for the message: `line`, or `row 12: column \`url\``.
 */
export function urlProblem(text: string, what: string): ErrorData | undefined {
  if (!URL.canParse(text)) {
    return { code: ERROR_CODES.INVALID_URL, message: `${what} is not a URL: ${quote(text)}`, attempts: 1 }
  }
  const { protocol } = new URL(text)
  if (protocol !== 'http:' && protocol !== 'https:') {
    const message = `only http: and https: URLs can be summarized, got ${protocol} in ${quote(text)}`
    return { code: ERROR_CODES.INVALID_URL, message: what === 'line' ? message : `${what}: ${message}`, attempts: 1 }
  }
  return undefined
}

/** The text as typed, for a message: shortened, and with any `user:password@` removed. */
export function quote(text: string): string {
  const shown = redactUrlsInText(text)
  return JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown)
}
