import type { Dispatcher } from 'undici'
import { ERROR_CODES, PageError } from '../errors.js'
import { redactUrlsInText } from '../redact.js'
import { truncate } from './messages.js'

/* The parts of HTTP the page fetcher reads: the URL asked for, a redirect's target, Content-Type. */

export function parseHttpUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new PageError(ERROR_CODES.INVALID_URL, `not an absolute URL: ${truncate(redactUrlsInText(url))}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PageError(ERROR_CODES.INVALID_URL, `only http: and https: URLs can be fetched, got ${truncate(parsed.protocol)}`)
  }
  return parsed
}

export function redirectTarget(current: URL, response: Dispatcher.ResponseData): URL {
  const location = firstHeader(response.headers['location'])
  if (location === undefined || location.trim() === '') {
    throw new PageError(ERROR_CODES.BAD_REDIRECT, `HTTP ${response.statusCode} redirect without a Location header`)
  }
  let target: URL
  try {
    target = new URL(location, current)
  } catch {
    throw new PageError(ERROR_CODES.BAD_REDIRECT, `redirect to an unusable Location: ${truncate(redactUrlsInText(location))}`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new PageError(ERROR_CODES.BAD_REDIRECT, `redirect to unsupported scheme ${truncate(target.protocol)}`)
  }
  return target
}

export interface ContentType {
  /** Lower-case `type/subtype`. */
  type: string
  charset: string | undefined
}

export function parseContentType(header: string | undefined): ContentType | undefined {
  if (header === undefined) return undefined
  const [essence = '', ...params] = header.split(';')
  const type = essence.trim().toLowerCase()
  if (type === '') return undefined
  let charset: string | undefined
  for (const param of params) {
    const eq = param.indexOf('=')
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue
    const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').trim()
    charset = value === '' ? undefined : value
    break
  }
  return { type, charset }
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

