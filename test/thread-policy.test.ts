import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { ThreadPolicy, THREAD_POLICY_DEFAULTS } from '../src/executors/thread-policy.js'

/** `pages` pages of page work on the main thread, `ms` each, measured as the pool measures them. */
function work(policy: ThreadPolicy, pages: number, ms: number): void {
  for (let i = 0; i < pages; i++) {
    policy.pageArrived()
    const done = policy.beginWork()
    const until = performance.now() + ms
    while (performance.now() < until);
    done()
  }
}

// Every rule but the core share, which depends on what else the machine runs (pool-threads.test.ts spins processes for it).
const anyLoad = { minCoreShare: 0 }

describe('the thread policy reads its load signals and makes one decision', () => {
  it('starts threads once page work keeps the main thread busy and the run cannot tell how much is ahead', () => {
    const policy = new ThreadPolicy(anyLoad)
    try {
      expect(policy.shouldStart()).toBe(false)
      // 8 pages of 30 ms: past the 4 cold pages and more than one 100 ms window of page work.
      work(policy, 8, 30)
      const signals = policy.signals()
      expect(signals.busy).toBeGreaterThanOrEqual(THREAD_POLICY_DEFAULTS.busyThreshold)
      expect(signals.work).toBeGreaterThanOrEqual(THREAD_POLICY_DEFAULTS.workThreshold)
      expect(signals.workAheadMs).toBeUndefined()
      expect(policy.shouldStart()).toBe(true)
    } finally {
      policy.close()
    }
  })

  it('waits while the work ahead does not repay the threads, and starts when a threshold given as an option says it does', () => {
    let ahead = 10
    const short = new ThreadPolicy(anyLoad, () => ahead)
    // Each policy measures its own window: made just before its own pages, so the other's
    // pages (idle time to it, longer on a busy machine) do not dilute its busy share.
    let cheap: ThreadPolicy | undefined
    try {
      work(short, 8, 30)
      // 10 pages of at most 30 ms of CPU each (less on a busy machine): under the default 3 s, over 1 ms.
      expect(short.signals().workAheadMs).toBeGreaterThan(1)
      expect(short.signals().workAheadMs).toBeLessThan(THREAD_POLICY_DEFAULTS.paybackMs)
      expect(short.shouldStart()).toBe(false)
      // A long run ahead, and the main thread still busy with pages.
      ahead = 100_000
      work(short, 8, 30)
      expect(short.shouldStart()).toBe(true)
      // The same 10 pages ahead repay the threads when the option says 1 ms does.
      cheap = new ThreadPolicy({ ...anyLoad, paybackMs: 1 }, () => 10)
      work(cheap, 8, 30)
      expect(cheap.shouldStart()).toBe(true)
    } finally {
      short.close()
      cheap?.close()
    }
  })

  it('never starts threads when the main thread cannot get the share of a core asked for', () => {
    const policy = new ThreadPolicy({ minCoreShare: 2 })
    try {
      work(policy, 8, 30)
      expect(policy.signals().coreShare).toBeGreaterThan(0)
      expect(policy.shouldStart()).toBe(false)
    } finally {
      policy.close()
    }
  })
})
