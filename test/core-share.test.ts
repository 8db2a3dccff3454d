import { describe, expect, it } from 'vitest'
import { CoreShare, readSchedstat } from '../src/executors/core-share.js'

const spin = (ms: number): void => {
  const until = performance.now() + ms
  while (performance.now() < until);
}

describe('the share of a core the main thread gets', () => {
  it.runIf(process.platform === 'linux')('reads the thread’s own time on a CPU from the scheduler, in ns', () => {
    const before = readSchedstat()
    spin(50)
    const after = readSchedstat()
    expect(before).toBeDefined()
    // 50 ms of wall time spinning (the counters may lag by a scheduler tick): on a CPU for part of it, waiting for one for the rest.
    const ran = (after?.runNs ?? 0) - (before?.runNs ?? 0)
    const waited = (after?.waitNs ?? 0) - (before?.waitNs ?? 0)
    expect(ran).toBeGreaterThan(0)
    expect(ran + waited).toBeGreaterThanOrEqual(40e6)
  })

  it('is unknown before a page, and between 0 and 1 once pages were measured (on Linux)', () => {
    const share = new CoreShare(0.9)
    expect(share.share).toBeUndefined()
    for (let i = 0; i < 3; i++) {
      share.start()
      spin(10)
      share.end()
    }
    expect(share.share).toBeGreaterThan(0)
    if (process.platform === 'linux') expect(share.share).toBeLessThanOrEqual(1)
  })
})
