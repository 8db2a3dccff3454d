/** Credentials in URLs (`user:pass@`) never reach a message, log or record. */

/** Replaces the userinfo of every URL in a text with `redacted`. */
export function redactUrlsInText(text: string): string {
  return text.replace(/\/\/[^/?#@\s]*@/g, '//redacted@')
}

/** The URL with any user name and password removed. */
export function withoutCredentials(url: URL): string {
  if (url.username === '' && url.password === '') return url.href
  const copy = new URL(url)
  copy.username = ''
  copy.password = ''
  return copy.href
}

/**
 * A URL as typed, for a record or a message, without its `user:password@`. The text keeps
 * its own spelling (a record's `url` is the input line, not `new URL().href`) unless the
 * userinfo is written without `//` (`http:user:pass@host` parses too), when the normalised
 * URL is the only safe form.
 */
export function displayUrl(text: string): string {
  const masked = text.replace(/\/\/[^/?#@\s]*@/g, '//')
  if (!URL.canParse(masked)) return redactUrlsInText(text)
  const url = new URL(masked)
  return url.username === '' && url.password === '' ? masked : withoutCredentials(url)
}
