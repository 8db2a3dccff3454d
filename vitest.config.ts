import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll and vi.waitFor stand in for events a test cannot await: check often, and
    // wait long enough for a busy machine (a condition that holds ends the wait at once).
    expect: { poll: { interval: 5, timeout: 10_000 } },
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-isolation.ts', 'test/setup-cache.ts'],
    // Most test time is waiting on real servers, model latency and child processes, not CPU:
    // three files at once on two cores keeps the suite short. Tests must hold under that load
    // (and under more: they are checked with both cores kept busy).
    maxWorkers: 3,
    // Files share their worker process instead of each importing the AWS SDK, Readability and
    // the rest into a fresh one: the 58 quickest files took 46 s isolated and 17-22 s shared
    // (`npx vitest run [--no-isolate] <files>`, 2 cores with other work on them). What a file
    // changes in the process is undone by test/setup-isolation.ts.
    isolate: false,
    // Tests start real servers and worker threads; keep them off the network and from
    // resolving real AWS credentials or the instance metadata service.
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    },
  },
})
