import { afterAll, vi } from 'vitest'

// Test files share their worker process (`isolate: false` in vitest.config.ts: importing the
// AWS SDK, Readability and the rest again for every file cost about a third of the suite's
// time). What one file changes in the process must not reach the next one: this file is
// evaluated again before each test file, so the environment it sees here is the one the file
// started with, and it is put back when the file ends, whatever the file set or deleted.
const startEnv = { ...process.env }

afterAll(() => {
  vi.useRealTimers()
  vi.unstubAllEnvs()
  vi.unstubAllGlobals()
  for (const key of Object.keys(process.env)) if (!(key in startEnv)) delete process.env[key]
  Object.assign(process.env, startEnv)
})
