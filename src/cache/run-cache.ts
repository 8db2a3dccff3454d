import { createHash } from 'node:crypto'
import type { TokenUsage } from '../summarizers/summarizer.js'
import { urlKey } from '../url.js'
import { CacheStore } from './store.js'

/** A model's reply as kept: the text as the model gave it (fitted to `--max-chars` again when used) and the usage it was billed. */
export interface StoredReply {
  key: string
  summary: string
  model: string
  usage: TokenUsage | null
}

/** A page's validators and its extracted text, kept per URL so that a `304 Not Modified` needs no download and no extraction. */
export interface StoredPage {
  key: string
  /** After redirects, without credentials. */
  finalUrl: string
  etag: string | undefined
  lastModified: string | undefined
  /** The whole extracted text: the `--max-input-chars` cut is made again on use, so changing it needs no new download. */
  title: string
  text: string
  lang: string
  langDeclared: boolean
}

/** Conditional request headers' values for a page fetched before. */
export interface Validators {
  etag?: string | undefined
  lastModified?: string | undefined
}

/** Entries found damaged (and removed) during a run. */
export interface CacheHealth {
  damaged: number
}

const isReply = (value: unknown): value is StoredReply => {
  const v = value as Record<string, unknown>
  return typeof v['summary'] === 'string' && typeof v['model'] === 'string' && (v['usage'] === null || isUsage(v['usage']))
}

const isUsage = (value: unknown): value is TokenUsage => {
  const v = value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && Number.isFinite(v['inputTokens']) && Number.isFinite(v['outputTokens'])
}

const isPage = (value: unknown): value is StoredPage => {
  const v = value as Record<string, unknown>
  const optional = (x: unknown): boolean => x === undefined || typeof x === 'string'
  return typeof v['finalUrl'] === 'string' && typeof v['title'] === 'string' && typeof v['text'] === 'string' && typeof v['lang'] === 'string' && typeof v['langDeclared'] === 'boolean' && optional(v['etag']) && optional(v['lastModified'])
}

/**
 * A run's view of the cache: model replies by what the model was sent (replyKey), pages by
 * URL. Reads never throw and never answer for another key: a damaged entry is a miss,
 * counted in `health` and removed. Opened once per run on the main thread, which makes
 * every model call, so threads never touch it.
 */
export class RunCache {
  readonly health: CacheHealth = { damaged: 0 }
  readonly #store: CacheStore
  readonly #maxBytes: number

  private constructor(store: CacheStore, maxBytes: number) {
    this.#store = store
    this.#maxBytes = maxBytes
  }

  static async open(dir: string, maxBytes: number): Promise<RunCache> {
    return new RunCache(await CacheStore.open(dir), maxBytes)
  }

  get dir(): string {
    return this.#store.dir
  }

  async reply(key: string): Promise<StoredReply | undefined> {
    return this.#read(await this.#store.get(key, isReply))
  }

  async keepReply(key: string, reply: Omit<StoredReply, 'key'>): Promise<void> {
    await this.#store.put(key, { key, ...reply })
  }

  /** The page kept for `url`; never for a URL with credentials (pageKey). */
  async page(url: string): Promise<StoredPage | undefined> {
    const key = pageKey(url)
    return key === undefined ? undefined : this.#read(await this.#store.get(key, isPage))
  }

  async keepPage(url: string, page: Omit<StoredPage, 'key'>): Promise<void> {
    const key = pageKey(url)
    if (key !== undefined) await this.#store.put(key, { key, ...page })
  }

  /** At the end of a run that wrote entries: evicts the least recently used past `--cache-max-size`. */
  async close(): Promise<void> {
    if (this.#store.written > 0) await this.#store.evict(this.#maxBytes).catch(() => {})
  }

  #read<T>(read: Awaited<ReturnType<CacheStore['get']>>): T | undefined {
    if (read.state === 'damaged') this.health.damaged += 1
    return read.state === 'hit' ? (read.value as T) : undefined
  }
}

/**
 * A page's key: a hash of the normalised URL, so no URL (and no query-string token) is
 * written into the index. A URL with `user:password@` is never kept: its page is behind the
 * credentials, and secrets stay out of the cache even as a hash input.
 */
export function pageKey(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined
  const parsed = new URL(url)
  if (parsed.username !== '' || parsed.password !== '') return undefined
  return `page:${createHash('sha256').update(urlKey(parsed)).digest('hex')}`
}
