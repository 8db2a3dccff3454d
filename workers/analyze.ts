import { parentPort, workerData } from 'node:worker_threads'
import { analyzePage, preparePage } from '../src/analyze.js'
import { WORKER_READY, type WorkerInit, type WorkerResult, type WorkerTask } from '../src/executors/worker-protocol.js'
import { ExtractiveSummarizer } from '../src/summarizers/extractive.js'

// A thread only does CPU work: decoding, extraction and, offline, the summary. Model calls
// stay on the main thread, so a thread never loads the AWS SDK or opens a socket.
const summarizer = (workerData as WorkerInit).summarize ? new ExtractiveSummarizer() : undefined

export default function analyze({ task }: WorkerTask): WorkerResult | Promise<WorkerResult> {
  return summarizer === undefined ? preparePage(task) : analyzePage(task, summarizer)
}

parentPort?.postMessage(WORKER_READY)
