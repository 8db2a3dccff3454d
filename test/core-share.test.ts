import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CoreShare, Schedstat } from '../src/executors/core-share.js'

const spin = (ms: number): void => {
  const until = performance.now() + ms
  while (performance.now() < until);
}

/** Three pages of `ms` each, measured. */
function measured(share: CoreShare, ms = 10): CoreShare {
  for (let i = 0; i < 3; i++) {
    share.start()
    spin(ms)
    share.end()
  }
  return share
}

describe('the share of a core the main thread gets', () => {
  it.runIf(process.platform === 'linux')('reads the thread’s own time on a CPU from the scheduler, in ns, through one open file', () => {
    const stat = Schedstat.open()
    try {
      const before = stat?.read()
      spin(50)
      const after = stat?.read()
      expect(before).toBeDefined()
      // 50 ms of wall time spinning (the counters may lag by a scheduler tick): on a CPU for part of it, waiting for one for the rest.
      const ran = (after?.runNs ?? 0) - (before?.runNs ?? 0)
      const waited = (after?.waitNs ?? 0) - (before?.waitNs ?? 0)
      expect(ran).toBeGreaterThan(0)
      expect(ran + waited).toBeGreaterThanOrEqual(40e6)
    } finally {
      stat?.close()
    }
  })

  it('is unknown before a page, and between 0 and 1 once pages were measured (on Linux)', () => {
    const share = new CoreShare(0.9)
    try {
      expect(share.share).toBeUndefined()
      measured(share)
      expect(share.share).toBeGreaterThan(0)
      if (process.platform === 'linux') expect(share.share).toBeLessThanOrEqual(1)
    } finally {
      share.close()
    }
  })

  it('comes from process CPU over wall time when the scheduler statistics cannot be read', () => {
    const share = measured(new CoreShare(0.9, join(tmpdir(), 'no-such-dir', 'schedstat')))
    expect(share.share).toBeGreaterThan(0)
  })

  it('comes from process CPU over wall time when the kernel keeps no scheduler statistics (the file reads 0 0 0)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'schedstat-')), 'schedstat')
    writeFileSync(file, '0 0 0\n')
    const share = measured(new CoreShare(0.9, file))
    try {
      // Read as statistics, zeros would leave the share unknown for the whole run, and no thread would ever start.
      expect(share.share).toBeGreaterThan(0)
    } finally {
      share.close()
    }
  })
})
