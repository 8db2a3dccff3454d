import { parentPort } from 'node:worker_threads'
import { analyzePage, type AnalyzeTask } from '../../src/analyze.js'
import { ExtractiveSummarizer } from '../../src/summarizers/extractive.js'

// The ceiling's thread: the pool's page function and nothing else (no Piscina, no task
// bookkeeping), answering each page on the port it came from.
const summarizer = new ExtractiveSummarizer()
parentPort?.on('message', (message: { id: number; task: AnalyzeTask }) => {
  void analyzePage(message.task, summarizer).then((outcome) => parentPort?.postMessage({ id: message.id, ok: outcome.status === 'ok', extract: outcome.timingsMs.extract, summarize: outcome.timingsMs.summarize }))
})
parentPort?.postMessage('ready')
