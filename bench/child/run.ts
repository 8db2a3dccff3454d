/**
 * Child process: one run of one strategy, in a fresh process, so that its CPU time, peak
 * RSS and event-loop delay belong to that run alone (and start cold, as a CLI run does).
 * First IPC message: a `RunJob`; answers with its `RunSample`, then exits.
 */
import { runOnce, type RunJob } from '../run-once.js'

// Ctrl-C reaches the whole process group: the bench decides (it lets this run finish and
// stops after it), and a parent that is gone ends this run at once.
process.on('SIGINT', () => {})
process.once('disconnect', () => process.exit(130))

process.once('message', (job: RunJob) => {
  void runOnce(job).then((sample) => {
    // Exit once the sample is sent: keep-alive sockets and the like must not hold the run open.
    process.send?.(sample, undefined, {}, () => process.exit(0))
  })
})
