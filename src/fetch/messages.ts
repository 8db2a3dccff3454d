/* Parts of fetch messages: short, and never holding a URL's credentials. */

/** Credentials in a URL (`user:pass@`) must never reach a message, log or record. */
export function redactUrl(url: URL): string {
  if (url.username === '' && url.password === '') return truncate(url.href)
  const copy = new URL(url)
  copy.username = 'redacted'
  copy.password = ''
  return truncate(copy.href)
}

const MAX_MESSAGE_PART = 200

export function truncate(text: string): string {
  return text.length > MAX_MESSAGE_PART ? `${text.slice(0, MAX_MESSAGE_PART)}…` : text
}

export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`
  return `${bytes} bytes`
}
