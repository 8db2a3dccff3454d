import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'

// The cache is on by default and lives under $XDG_CACHE_HOME. Every test gets an empty one of
// its own: no test writes to the real ~/.cache, and no test's replies answer another's calls
// (a test that counts model calls or injects faults must see them made). Child processes
// inherit the variable.
let dir: string | undefined

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'summarize-urls-test-cache-'))
  process.env['XDG_CACHE_HOME'] = dir
})

afterEach(async () => {
  // A run a timed-out test left behind may still be writing: retried, and a leftover temporary folder is no failure of the next test.
  if (dir !== undefined) await rm(dir, { recursive: true, force: true, maxRetries: 5 }).catch(() => undefined)
  dir = undefined
})
