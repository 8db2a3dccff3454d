#!/usr/bin/env node
// No static imports: the signal handlers below must be in place before anything slow loads,
// so that a Ctrl-C in the first moments (a busy machine can take seconds to load the CLI)
// gets the same clean stop and exit code 130 as a later one, not Node's silent default.

// The pinned AWS SDK supports Node 20; its notice about future SDK releases needing Node 22
// would print once per worker thread on every run. A user who sets the variable wins.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'

// The first Ctrl-C (or SIGTERM) stops starting pages and lets those in flight finish for a
// few seconds, so their model calls are not paid for twice; what is done is written. A
// second Ctrl-C cancels the pages in flight at once; a third exits without waiting.
const stop = new AbortController()
const abort = new AbortController()
let interrupts = 0
const onSignal = (signal: NodeJS.Signals): void => {
  interrupts += 1
  if (interrupts === 1) {
    // The emulator has no pages in flight: it says what stopping means for it.
    const notice = process.argv[2] === 'emulator' ? `\nemulator: ${signal}: stopping\n` : `\nsummarize-urls: ${signal}: finishing the pages in flight (Ctrl-C again to cancel them)\n`
    process.stderr.write(notice)
    stop.abort(new Error('stopped'))
  } else if (interrupts === 2) {
    abort.abort(new Error('interrupted'))
  } else {
    process.exit(130)
  }
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const { main } = await import('./main.js')
const code = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTTY: process.stderr.isTTY === true,
  signal: abort.signal,
  stopSignal: stop.signal,
})
// After an interruption nothing more will be written: exit now rather than wait for a
// stdin that stays open (a pipe, `tail -f`) or a stdout nobody reads.
if (stop.signal.aborted || abort.signal.aborted) process.exit(code)
process.exitCode = code
