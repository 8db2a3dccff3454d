#!/usr/bin/env node
import { main } from './main.js'

// The pinned AWS SDK supports Node 20; its notice about future SDK releases needing Node 22
// would print once per worker thread on every run. A user who sets the variable wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'

// Ctrl-C and SIGTERM abort the run (in-flight pages end as ABORTED records, and what is
// done is written) instead of killing the process; a second Ctrl-C exits at once.
const controller = new AbortController()
let interrupts = 0
const onSignal = (): void => {
  interrupts += 1
  if (interrupts > 1) process.exit(130)
  controller.abort(new Error('interrupted'))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTTY: process.stderr.isTTY === true,
  signal: controller.signal,
})
// After an interruption nothing more will be written: exit now rather than wait for a
// stdin that stays open (a pipe, `tail -f`) or a stdout nobody reads.
if (controller.signal.aborted) process.exit(code)
process.exitCode = code
