import { readFileSync, unlinkSync } from 'node:fs'
import { link, lstat, mkdir, readdir, readFile, realpath, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { UsageError } from '../errors.js'

/** The run that holds (or held) a lock, as its lock file says. */
export interface LockHolder {
  pid: number
  host: string
  /** When it took the lock, ISO 8601. */
  since: string
  /** In a file's identity lock: the `--out` that run named, absolute (another name of the same file). */
  out?: string
}

/** `out` locked for this run: one run at a time writes a file, or they lose each other's records. */
export interface OutLock {
  readonly path: string
  /** The run whose lock was taken over: it held it and is gone (killed, crashed). */
  readonly tookOver: LockHolder | undefined
  /**
   * Locks the file by its identity once it exists (call it after opening `out`): a run that
   * started before the file existed locked only its path, and a hard link made since is
   * another path to the same file. Throws a `UsageError` naming the run that holds it.
   */
  claimFile(): Promise<void>
  /** Removes the lock files (if they are still ours). Safe to call twice. */
  release(): void
}

/**
 * Where a file's identity locks live: one per device and inode, shared by every run on the
 * machine, because the names of one file (hard links) can be in different folders. Under the
 * temporary folder (`TMPDIR`), which every run of a user sees.
 */
export function identityLockDir(): string {
  return join(tmpdir(), 'summarize-urls-locks')
}

/** `<out>.lock` */
export function lockPath(out: string): string {
  return `${out}.lock`
}

/**
 * The file a run on `out` writes and so must lock: `out` itself when it is a regular file or
 * does not exist yet, the file a symlink leads to (a run through a link to another run's
 * file would truncate it), and none for a device, a FIFO or a link to one (`/dev/stdout`),
 * which no other run's records can be lost from.
 */
export async function fileToLock(out: string): Promise<string | undefined> {
  const info = await lstat(out).catch(() => undefined)
  if (info === undefined || info.isFile()) return out
  if (!info.isSymbolicLink()) return undefined
  const target = await stat(out).catch(() => undefined)
  return target?.isFile() === true ? realpath(out) : undefined
}

/**
 * Locks `out` with `<out>.lock`, a file holding this run's PID and host, created only if
 * absent, and, when the file exists, by its identity (device and inode, `identityLockDir()`),
 * so two runs whose `--out` are hard links of one file cannot both write it. A lock whose
 * run is alive (or on another host, where it cannot be checked) is refused with a
 * `UsageError`; one whose run is gone (SIGKILL, a power cut) is taken over, so a crash never
 * leaves `out` locked for good. The locks go on every exit: `release()` at the end of the
 * job, and a `process.on('exit')` handler for `process.exit()`. `file` is the file locked
 * (`fileToLock`); messages name `out` as the user typed it.
 */
export async function lockOut(out: string, file = out): Promise<OutLock> {
  const path = lockPath(file)
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() }
  const byPath = await acquire(path, mine, out, (holder) =>
    `another run (PID ${holder.pid} on ${holder.host}, since ${holder.since}) is writing --out \`${out}\`: wait for it, or choose another --out (if that run is gone, delete \`${path}\`)`,
  )
  let byIdentity: Held | undefined
  const release = (): void => {
    byIdentity?.release()
    byPath.release()
  }
  const claimFile = async (): Promise<void> => {
    if (byIdentity !== undefined) return
    const info = await stat(file).catch(() => undefined)
    if (info === undefined) return
    const dir = identityLockDir()
    // A temporary folder we cannot write: the path lock alone, as before identity locks.
    if (!(await mkdir(dir, { recursive: true }).then(() => true, () => false))) return
    const identity = join(dir, `${info.dev}-${info.ino}.lock`)
    const busy = (holder: LockHolder): string =>
      `another run (PID ${holder.pid} on ${holder.host}, since ${holder.since}) is writing --out \`${holder.out ?? '?'}\`, and --out \`${out}\` is the same file (a hard link): wait for it, or choose another --out (if that run is gone, delete \`${identity}\`)`
    try {
      byIdentity = await acquire(identity, { ...mine, out: resolve(file) }, out, busy)
    } catch (error) {
      release()
      throw error
    }
  }
  try {
    await claimFile()
  } catch (error) {
    byPath.release()
    throw error
  }
  return { path, tookOver: byPath.tookOver, claimFile, release }
}

interface Held {
  tookOver: LockHolder | undefined
  release(): void
}

/** Takes the lock file `path` for `mine`, or throws `busy(holder)` while its holder runs. */
async function acquire(path: string, mine: LockHolder, out: string, busy: (holder: LockHolder) => string): Promise<Held> {
  const content = `${JSON.stringify(mine)}\n`
  // A few rounds, for the rare race with another run that takes over the same stale lock.
  for (let round = 0; round < 5; round++) {
    if (await createExclusive(path, content, out)) return acquired(path, content, undefined)
    const found = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)))
    if (found === undefined) continue
    const holder = parseHolder(found)
    if (holder === undefined) {
      throw new UsageError(`\`${path}\` exists but is not a summarize-urls lock: if no run is writing --out \`${out}\`, delete it`)
    }
    if (holderRunning(holder)) throw new UsageError(busy(holder))
    if (await takeOver(path, found, content, out)) return acquired(path, content, holder)
  }
  throw new UsageError(`cannot lock --out \`${out}\`: \`${path}\` keeps changing; another run is starting on it`)
}

/** Whether the process named by a lock is still running; one on another host is taken to be. */
function holderRunning(holder: LockHolder): boolean {
  return holder.host !== hostname() || processRunning(holder.pid)
}

/** `kill(pid, 0)`: ESRCH means gone; EPERM means it exists under another user. */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Replaces a dead run's lock with ours. Two runs may find the same dead lock at once; a
 * second lock file, `<out>.lock-takeover`, lets only one of them delete it, so neither
 * deletes the lock the other has just made.
 */
async function takeOver(path: string, stale: string, content: string, out: string): Promise<boolean> {
  const guard = `${path}-takeover`
  if (!(await createExclusive(guard, content, out))) {
    const other = parseHolder(await readFile(guard, 'utf8').catch(() => ''))
    // The guard lives for a few system calls: one left behind is a run killed right then.
    if (other === undefined || !holderRunning(other)) await rm(guard, { force: true })
    return false
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === stale) await rm(path, { force: true })
    return await createExclusive(path, content, out)
  } finally {
    await rm(guard, { force: true })
  }
}

/**
 * Creates `path` holding `content` only if it does not exist. The content goes to a file of
 * our own first, then is hard-linked into place (`link(2)` fails on an existing name), so
 * no one ever reads a lock that is there but still empty.
 */
async function createExclusive(path: string, content: string, out: string): Promise<boolean> {
  const own = `${path}-${process.pid}`
  try {
    await writeFile(own, content)
  } catch (error) {
    // A full disk creates the file and then fails to fill it: it must not stay behind.
    await unlink(own).catch(() => {})
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`cannot write --out \`${out}\`: ${code === 'ENOENT' ? 'no such directory' : code}`, { cause: error })
  }
  try {
    await link(own, path)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    // A file system without hard links: `wx` is as exclusive, with a moment where the file is empty.
    return writeFile(path, content, { flag: 'wx' }).then(
      () => true,
      (wx: NodeJS.ErrnoException) => (wx.code === 'EEXIST' ? false : Promise.reject(wx)),
    )
  } finally {
    await unlink(own).catch(() => {})
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>
    if (Number.isSafeInteger(value.pid) && typeof value.host === 'string' && typeof value.since === 'string' && (value.out === undefined || typeof value.out === 'string')) return value as LockHolder
  } catch {
    // not a lock of ours
  }
  return undefined
}

async function acquired(path: string, content: string, tookOver: LockHolder | undefined): Promise<Held> {
  await removeStaleOwnFiles(path)
  let released = false
  const release = (): void => {
    if (released) return
    released = true
    process.removeListener('exit', release)
    try {
      // Never remove a lock that is not ours any more (a user deleted ours and another run took it).
      if (readFileSync(path, 'utf8') === content) unlinkSync(path)
    } catch {
      // Already gone.
    }
  }
  // Synchronous, so it also runs on `process.exit()` (a third Ctrl-C).
  process.on('exit', release)
  return { tookOver, release }
}

/** `<out>.lock-PID` files of runs killed between writing one and linking it. */
async function removeStaleOwnFiles(path: string): Promise<void> {
  const prefix = `${basename(path)}-`
  for (const name of await readdir(dirname(path)).catch(() => [])) {
    const pid = Number(name.slice(prefix.length))
    if (name.startsWith(prefix) && Number.isSafeInteger(pid) && pid !== process.pid && !processRunning(pid)) await rm(join(dirname(path), name), { force: true }).catch(() => {})
  }
}
