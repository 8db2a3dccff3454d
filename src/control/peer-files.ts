/**
 * The peer board of processes on one machine (peers.ts): a folder under the cache directory,
 * one small JSON file per run, named by the quota it shares (a hash of provider, endpoint,
 * region, profile or key, and model: runs against different quotas never read each other's).
 * A run rewrites its file about once a second (written aside, then renamed, so a reader never
 * sees half of one) and reads the others'. Files of runs that stopped posting or whose process
 * is gone are removed by whoever reads them. Any file-system error leaves the run on its own:
 * sharing helps a run, it never stops one.
 */

import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PEER_STALE_MS, type PeerBoard, type PeerNote } from './peers.js'

/** Notes of runs that ended without taking theirs down are removed after this long. */
const FORGET_MS = 60 * 1000

interface PostedNote extends PeerNote {
  pid: number
  postedAt: number
}

/** The name runs sharing one quota post under: a hash, so that no endpoint, profile or key is written in the clear. */
export function quotaKey(parts: ReadonlyArray<string | undefined>): string {
  return createHash('sha256').update(parts.map((p) => p ?? '').join('\u0000')).digest('hex').slice(0, 16)
}

export class FileBoard implements PeerBoard {
  readonly #dir: string
  readonly #key: string
  #broken = false

  /** `dir`: the folder (made 0700 if missing); `key`: from `quotaKey`. */
  constructor(dir: string, key: string) {
    this.#dir = dir
    this.#key = key
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
    } catch {
      this.#broken = true
    }
  }

  now(): number {
    return Date.now()
  }

  exchange(note: PeerNote): PeerNote[] {
    if (this.#broken) return []
    const now = Date.now()
    try {
      const mine = this.#file(note.id)
      const posted: PostedNote = { ...note, pid: process.pid, postedAt: now }
      writeFileSync(`${mine}.tmp`, JSON.stringify(posted), { mode: 0o600 })
      renameSync(`${mine}.tmp`, mine)
      const others: PeerNote[] = []
      for (const name of readdirSync(this.#dir)) {
        if (!name.startsWith(`${this.#key}.`) || !name.endsWith('.json') || name === `${this.#key}.${note.id}.json`) continue
        const other = readNote(join(this.#dir, name))
        if (other === undefined) continue
        const age = now - other.postedAt
        if (age > FORGET_MS || !alive(other.pid)) rmSync(join(this.#dir, name), { force: true })
        else if (age <= PEER_STALE_MS) others.push({ id: other.id, quota: other.quota, learnedAt: other.learnedAt, testing: other.testing })
      }
      return others
    } catch {
      return []
    }
  }

  leave(id: string): void {
    try {
      rmSync(this.#file(id), { force: true })
    } catch {
      // Nothing to take down where nothing could be posted.
    }
  }

  #file(id: string): string {
    return join(this.#dir, `${this.#key}.${id}.json`)
  }
}

/** A note read back; undefined when it is not one of ours (or half-written by an older version). */
function readNote(path: string): PostedNote | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as Partial<PostedNote>
    if (typeof value.id !== 'string' || typeof value.pid !== 'number' || typeof value.postedAt !== 'number' || typeof value.learnedAt !== 'number') return undefined
    const quota = typeof value.quota === 'number' && Number.isFinite(value.quota) && value.quota > 0 ? value.quota : undefined
    return { id: value.id, pid: value.pid, postedAt: value.postedAt, learnedAt: value.learnedAt, quota, testing: value.testing === true }
  } catch {
    return undefined
  }
}

/** Whether process `pid` runs (on this machine: the folder is local). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
