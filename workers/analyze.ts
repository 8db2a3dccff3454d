import { workerData } from 'node:worker_threads'
import { analyzePage, type AnalyzeOutcome, type AnalyzeTask } from '../src/analyze.js'
import type { WorkerInit } from '../src/executors/pool.js'
import { createSummarizer } from '../src/summarizers/config.js'

// Built once per thread: one Bedrock client (and its keep-alive sockets) serves every task
// this thread runs, many of them concurrently.
const summarizer = createSummarizer((workerData as WorkerInit).summarizer)

export default function analyze(task: AnalyzeTask): Promise<AnalyzeOutcome> {
  return analyzePage(task, summarizer)
}
