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
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { PEER_STALE_MS, type PeerBoard, type PeerNote } from './peers.js'

/** Notes of runs that ended without taking theirs down are removed after this long. */
const FORGET_MS = 60 * 1000
/** A note is about 130 bytes; a larger file is not one of ours and is not read (a stray log would cost every run its memory, each second). */
const MAX_NOTE_BYTES = 4096
/** Most a note may claim, per second: `--rpm`'s own ceiling. Past it, the number is junk, not a quota. */
const MAX_QUOTA_PER_SECOND = 100_000_000 / 60

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
      // A folder that was already there is not made 0700 by mkdir: one that another user owns
      // or may write in could hold notes forged to slow this run down, so it is not used.
      // POSIX only: Windows reports no owner and 0o666 for every folder.
      const { uid, mode } = statSync(dir)
      this.#broken = process.getuid !== undefined && ((mode & 0o022) !== 0 || uid !== process.getuid())
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
      writeNew(`${mine}.tmp`, JSON.stringify(posted))
      renameSync(`${mine}.tmp`, mine)
      const others: PeerNote[] = []
      for (const name of readdirSync(this.#dir)) {
        if (!name.startsWith(`${this.#key}.`) || !name.endsWith('.json') || name === `${this.#key}.${note.id}.json`) continue
        const other = readNote(join(this.#dir, name))
        if (other === undefined) continue
        const age = now - other.postedAt
        // A note posted ahead of this clock (more than the clocks of two runs on one machine can
        // differ) is from before the clock was set back, or forged: it does not count, and one
        // far ahead would never age, so it is removed (a live run posts again within a second).
        if (Math.abs(age) > FORGET_MS || !alive(other.pid)) rmSync(join(this.#dir, name), { force: true })
        else if (age <= PEER_STALE_MS && age >= -PEER_STALE_MS) others.push({ id: other.id, quota: other.quota, learnedAt: other.learnedAt, testing: other.testing, ...(other.cap === undefined ? {} : { cap: other.cap }) })
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

/**
 * Creates `path` afresh, never writing through what is there: a symlink left at the name
 * would otherwise have the note written over the file it points to.
 */
function writeNew(path: string, text: string): void {
  rmSync(path, { force: true })
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}

/** The text of a regular file of at most `MAX_NOTE_BYTES`; undefined for anything else (a symlink, a FIFO that would block the run forever, a device, a large file). */
function readSmallFile(path: string): string | undefined {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile() || stat.size > MAX_NOTE_BYTES) return undefined
    const buffer = Buffer.alloc(MAX_NOTE_BYTES + 1)
    const length = readSync(fd, buffer, 0, buffer.length, 0)
    return length > MAX_NOTE_BYTES ? undefined : buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}

/** A note read back; undefined when it is not one of ours (or half-written by an older version). */
function readNote(path: string): PostedNote | undefined {
  try {
    const text = readSmallFile(path)
    if (text === undefined) return undefined
    const value = JSON.parse(text) as Partial<PostedNote>
    if (typeof value !== 'object' || value === null) return undefined
    if (typeof value.id !== 'string' || typeof value.pid !== 'number' || !Number.isSafeInteger(value.pid) || value.pid <= 0 || typeof value.postedAt !== 'number' || !Number.isFinite(value.postedAt) || typeof value.learnedAt !== 'number' || !Number.isFinite(value.learnedAt)) return undefined
    const quota = typeof value.quota === 'number' && Number.isFinite(value.quota) && value.quota > 0 && value.quota <= MAX_QUOTA_PER_SECOND ? value.quota : undefined
    const cap = typeof value.cap === 'number' && Number.isFinite(value.cap) && value.cap > 0 ? value.cap : undefined
    return { id: value.id, pid: value.pid, postedAt: value.postedAt, learnedAt: value.learnedAt, quota, testing: value.testing === true, cap }
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
