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
