import { workerData } from 'node:worker_threads'
import { analyzePage, type AnalyzeOutcome } from '../src/analyze.js'
import { RemoteGate } from '../src/control/gate-port.js'
import type { WorkerInit, WorkerTask } from '../src/executors/pool.js'
import { createSummarizer } from '../src/summarizers/config.js'

// Built once per thread: one Bedrock client (and its keep-alive sockets) serves every task
// this thread runs, many of them concurrently.
const summarizer = createSummarizer((workerData as WorkerInit).summarizer)

export default async function analyze({ task, gate }: WorkerTask): Promise<AnalyzeOutcome> {
  // The run's rate controller lives on the main thread; this task reaches it through its port.
  const remote = gate === undefined ? undefined : new RemoteGate(gate)
  try {
    return await analyzePage(task, summarizer, undefined, remote)
  } finally {
    await remote?.close()
  }
}
