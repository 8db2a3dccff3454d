import { access } from 'node:fs/promises'
import { CacheStore, clearDir } from './store.js'

export interface CacheSummary {
  dir: string
  replies: number
  pages: number
  /** Bytes of the stored values (what `--cache-max-size` bounds). */
  bytes: number
  /** Last use of the least and most recently used entries; null when empty. */
  oldest: Date | null
  newest: Date | null
}

export interface VerifyReport {
  checked: number
  ok: number
  /** Entries whose content failed its hash or size, or whose value was not ours: removed. */
  damaged: number
  /** Content files no entry refers to (left by an interrupted write or an eviction race): removed. */
  reclaimed: number
}

async function present(dir: string): Promise<boolean> {
  return access(dir).then(
    () => true,
    () => false,
  )
}

/** What the cache holds; reads only the index. */
export async function cacheSummary(dir: string): Promise<CacheSummary> {
  const summary: CacheSummary = { dir, replies: 0, pages: 0, bytes: 0, oldest: null, newest: null }
  if (!(await present(dir))) return summary
  const store = await CacheStore.open(dir)
  for (const entry of await store.entries()) {
    if (entry.key.startsWith('reply:')) summary.replies += 1
    else if (entry.key.startsWith('page:')) summary.pages += 1
    summary.bytes += entry.size
    const time = new Date(entry.time)
    if (summary.oldest === null || time < summary.oldest) summary.oldest = time
    if (summary.newest === null || time > summary.newest) summary.newest = time
  }
  return summary
}

/**
 * Reads every entry back as a run would (content hash, size, the value naming its key):
 * damaged ones are removed and counted. Then cacache's own verify collects content no entry
 * refers to. Safe while runs use the cache: a run reading an entry removed here misses.
 */
export async function verifyCache(dir: string): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, ok: 0, damaged: 0, reclaimed: 0 }
  if (!(await present(dir))) return report
  const store = await CacheStore.open(dir)
  for (const entry of await store.entries()) {
    report.checked += 1
    const read = await store.get(entry.key, (_value): _value is unknown => true)
    if (read.state === 'hit') report.ok += 1
    else if (read.state === 'damaged') report.damaged += 1
  }
  const gc = (await store.lib.verify(dir)) as { reclaimedCount?: number; badContentCount?: number }
  report.reclaimed = Math.max(0, (gc.reclaimedCount ?? 0) - (gc.badContentCount ?? 0))
  report.damaged += gc.badContentCount ?? 0
  return report
}

/** Removes every entry; returns how many there were. */
export async function clearCache(dir: string): Promise<number> {
  if (!(await present(dir))) return 0
  const store = await CacheStore.open(dir)
  const entries = (await store.entries()).length
  await clearDir(dir)
  return entries
}
