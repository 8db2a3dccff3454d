import { createHash } from 'node:crypto'
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises'
import type cacache from 'cacache'

/** A value read back: `hit`, `miss` (no entry), or `damaged` (the entry was there but unreadable, and is now removed). */
export type CacheRead<T> = { state: 'hit'; value: T } | { state: 'miss' } | { state: 'damaged'; reason: string }

/**
 * An entry's time is refreshed on a hit at most this often, for least-recently-used
 * eviction: refreshing rewrites the entry's index file, and a weekly re-run needs its
 * entries marked once per run, not once per duplicate line.
 */
const TOUCH_INTERVAL_MS = 60 * 60 * 1000 // 1 h

/** Eviction brings the cache down to this share of `--cache-max-size`, so the next run does not evict again at once. */
const EVICT_TO = 0.9

type Cacache = typeof cacache

let loaded: Promise<Cacache> | undefined
/** cacache and its dependencies load with the first run that uses a cache: `--no-cache` and `--version` never pay for them. */
const load = (): Promise<Cacache> => (loaded ??= import('cacache').then((module) => (module as unknown as { default: Cacache }).default ?? (module as unknown as Cacache)))

/**
 * JSON values in a cacache directory (npm's content-addressable cache: content files named
 * by their SHA-512, written atomically through a temporary file and a rename, and checked
 * against that hash on every read; an append-only index whose every line carries its own
 * hash). Safe for several processes at once. Every stored value names its own key, so one
 * content file belongs to one key (removing it never takes another key's value) and a value
 * filed under the wrong key is refused. Nothing here throws on a damaged entry: it is a
 * miss, and removed.
 */
export class CacheStore {
  readonly dir: string
  /** Bytes of content this process wrote (a run that wrote nothing has nothing to evict). */
  written = 0

  private constructor(dir: string, readonly lib: Cacache) {
    this.dir = dir
  }

  /** Opens (creating it user-only, 0700) the cache directory `dir`. */
  static async open(dir: string): Promise<CacheStore> {
    await createPrivateDir(dir)
    return new CacheStore(dir, await load())
  }

  async get<T>(key: string, isValue: (value: unknown) => value is T): Promise<CacheRead<T>> {
    let entry: cacache.CacheObject | null
    try {
      entry = await this.lib.get.info(this.dir, key)
    } catch (error) {
      return this.#damaged(key, undefined, error)
    }
    if (entry === null) return { state: 'miss' }
    let value: unknown
    try {
      const data = await this.lib.get.byDigest(this.dir, entry.integrity, { size: entry.size })
      value = JSON.parse(data.toString('utf8'))
    } catch (error) {
      // ENOENT here: the index names content that is gone (removed by hand, or another
      // process evicted it a moment ago). Either way it is not an answer.
      return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { state: 'miss' } : this.#damaged(key, entry.integrity, error)
    }
    if (!isObject(value) || value['key'] !== key || !isValue(value)) return this.#damaged(key, entry.integrity, new Error('the stored value is not one this version wrote for this key'))
    if (Date.now() - entry.time > TOUCH_INTERVAL_MS) void this.#touch(entry)
    return { state: 'hit', value }
  }

  /** Stores `value` (which must carry `key`) under `key`. Never throws: a cache that cannot be written costs a later run a call, not this one a page. */
  async put(key: string, value: { key: string }): Promise<boolean> {
    try {
      const data = Buffer.from(JSON.stringify(value))
      // cacache never overwrites a content file that exists (content-addressed, it trusts the
      // name): one left damaged, whose index line was lost, would be pointed at again. Checked
      // here, on a write, which only a miss makes.
      const integrity = `sha512-${createHash('sha512').update(data).digest('base64')}`
      if ((await this.lib.get.hasContent(this.dir, integrity)) !== false) {
        await this.lib.get.byDigest(this.dir, integrity).catch(async () => void (await this.lib.rm.content(this.dir, integrity)))
      }
      await this.lib.put(this.dir, key, data)
      this.written += data.byteLength
      return true
    } catch {
      return false
    }
  }

  async remove(key: string, integrity: string | undefined): Promise<void> {
    // removeFully deletes the key's index file instead of appending a deletion line (the types lag the library).
    const removeEntry = this.lib.rm.entry as (cache: string, key: string, opts: { removeFully: boolean }) => Promise<unknown>
    await removeEntry(this.dir, key, { removeFully: true }).catch(() => {})
    if (integrity !== undefined) await this.lib.rm.content(this.dir, integrity).catch(() => {})
  }

  /** Every entry's key, size and last use. Reads the whole index. */
  async entries(): Promise<{ key: string; integrity: string; size: number; time: number }[]> {
    const listed = await this.lib.ls(this.dir)
    return Object.values(listed).map((entry) => ({ key: entry.key, integrity: entry.integrity, size: entry.size, time: entry.time }))
  }

  /**
   * Least recently used entries removed until the stored values take at most `maxBytes`
   * (down to EVICT_TO of it). Returns the entries removed.
   */
  async evict(maxBytes: number): Promise<{ removed: number; bytes: number }> {
    const entries = await this.entries()
    let total = entries.reduce((sum, entry) => sum + entry.size, 0)
    if (total <= maxBytes) return { removed: 0, bytes: total }
    entries.sort((a, b) => a.time - b.time)
    let removed = 0
    for (const entry of entries) {
      if (total <= maxBytes * EVICT_TO) break
      await this.remove(entry.key, entry.integrity)
      total -= entry.size
      removed += 1
    }
    return { removed, bytes: total }
  }

  async #damaged(key: string, integrity: string | undefined, error: unknown): Promise<CacheRead<never>> {
    await this.remove(key, integrity)
    const code = (error as NodeJS.ErrnoException).code
    return { state: 'damaged', reason: code ?? (error instanceof Error ? error.message : String(error)) }
  }

  async #touch(entry: cacache.CacheObject): Promise<void> {
    try {
      await this.lib.index.insert(this.dir, entry.key, entry.integrity, { size: entry.size, metadata: entry.metadata })
      // One line per key: without this the index file would grow by a line a run.
      await this.lib.index.compact(this.dir, entry.key, (a, b) => a.key === b.key)
    } catch {
      // Only the eviction order suffers.
    }
  }
}

/** Creates `dir` readable by its owner only: the cache holds page text and summaries. An existing directory keeps its mode. */
export async function createPrivateDir(dir: string): Promise<void> {
  const existed = await stat(dir).then(
    () => true,
    () => false,
  )
  await mkdir(dir, { recursive: true, mode: 0o700 })
  // mkdir's mode is filtered through the umask: set it outright on a directory made here.
  if (!existed) await chmod(dir, 0o700)
}

/** Removes every entry (the directory stays, empty). */
export async function clearDir(dir: string): Promise<number> {
  let removed = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    await rm(`${dir}/${name}`, { recursive: true, force: true })
    removed += 1
  }
  return removed
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
