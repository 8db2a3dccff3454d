import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgress } from '../src/output/progress.js'
import type { RunStats } from '../src/run.js'

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
