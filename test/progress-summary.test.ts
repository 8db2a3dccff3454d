import { execFile } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createProgress, summaryLine } from '../src/output/progress.js'
import type { RunStats } from '../src/run.js'

const run = promisify(execFile)
const stats: RunStats = { pages: 3, ok: 3, failed: 0, errors: {}, duplicates: 0, skipped: 0, rate: null, breaker: null, interrupted: false, cache: null, elapsedMs: 0 }

describe('the summary line', () => {
  it("reports the job's wall time from its start, not only the pages' run", async () => {
    const stream = new PassThrough()
    let text = ''
    stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    const progress = createProgress(stream, { quiet: false, live: false })
    // Time before the pages run (the credential probe, counting the input) is part of the job.
    await new Promise((resolve) => setTimeout(resolve, 250))
    progress.start(undefined)
    progress.stop(stats)
    const seconds = Number(/3 pages in ([\d.]+) s/.exec(text)?.[1])
    expect(seconds).toBeGreaterThanOrEqual(0.2)
  })
})

describe('the summary line of the CLI', () => {
  it('counts from the process start, as `time` does: start-up before the job is in it', async () => {
    const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))
    // 1 s of start-up before the CLI's first module loads: a line timed from the job's start left it out.
    const slowStart = `data:text/javascript,${encodeURIComponent('const end = performance.now() + 1000; while (performance.now() < end);')}`
    const running = run(process.execPath, ['--import', slowStart, bin, '-', '--provider', 'extractive'], { timeout: 60_000 })
    running.child.stdin?.end()
    const { stderr } = await running
    const seconds = Number(/0 pages in ([\d.]+) s/.exec(stderr)?.[1])
    expect(seconds).toBeGreaterThanOrEqual(1)
  })
})

describe('the rate controller in the summary line', () => {
  const rate = { calls: 279, throttled: 53, cuts: 0, limit: 32, maxInFlight: 32, learnedRpm: null, serverQuota: null, peers: { most: 0, quotaRpm: null } }
  it('says throttles looked random, at what share, and what it kept in flight', () => {
    const line = summaryLine({ ...stats, rate: { ...rate, verdict: { kind: 'random', share: 0.19 } } })
    expect(line).toContain('53 of 279 model calls throttled; throttles looked random (19% at every rate tried): kept 32 in flight')
  })

  it('says where it found the quota', () => {
    const line = summaryLine({ ...stats, rate: { ...rate, limit: 4, learnedRpm: 118, verdict: { kind: 'quota', perMinute: 118, share: 0.2 } } })
    expect(line).toContain('quota found near 118 requests/min')
  })

  it('says when runs on this machine shared the quota: the group\'s quota and this run\'s share', () => {
    const line = summaryLine({ ...stats, rate: { ...rate, limit: 3, learnedRpm: 108, verdict: { kind: 'quota', perMinute: 108, share: 0.1 }, peers: { most: 1, quotaRpm: 240 } } })
    expect(line).toContain('shared a quota near 240 requests/min with 1 other run on this machine: paced at 108 requests/min')
  })

  it('says nothing of rate control when nothing was throttled', () => {
    const line = summaryLine({ ...stats, rate: { ...rate, throttled: 0, verdict: { kind: 'none' } } })
    expect(line).not.toContain('throttle')
  })
})
