import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { startCeilingWorker } from '../bench/peers/ceiling.js'
import { WORKER_YOUNG_GENERATION_MB } from '../src/executors/worker-heap.js'

describe('the bench ceiling threads', () => {
  it('run with the young generation the pool gives its threads, so the ceiling rows compare the same threads', async () => {
    const worker = startCeilingWorker()
    try {
      const [ready] = await once(worker, 'message')
      expect(ready).toBe('ready')
      // What the thread's isolate was created with, as Node reads it back from V8.
      expect(worker.resourceLimits?.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB)
    } finally {
      await worker.terminate()
    }
  })
})
