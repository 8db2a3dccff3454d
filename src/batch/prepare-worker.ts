import { analyzePage, type AnalyzeTask } from '../analyze.js'
import type { CharsetInfo } from '../decode.js'
import type { ErrorData } from '../errors.js'
import type { PdfPages } from '../extract/pdf.js'
import { renderCall, replyKey } from '../summarizers/model-request.js'
import type { Summarizer, SummaryRequest } from '../summarizers/summarizer.js'
import { modelInputFor, type ModelInvocationType } from './model-input.js'

export interface PrepareTask {
  task: AnalyzeTask
  type: ModelInvocationType
  /** The job's model: part of the reply cache's key. */
  model: string
}

interface PreparedCommon {
  title: string
  lang: string
  charset: CharsetInfo | null
  pages: PdfPages | null
  extractMs: number
}

export type Prepared = (PreparedCommon & { status: 'ok'; modelInput: Record<string, unknown>; replyKey: string }) | (PreparedCommon & { status: 'error'; error: ErrorData })

/**
 * Runs the online path's `analyzePage` (decode, extract, the same checks, the same input
 * budget) with a summarizer that only keeps the request it is given: the record's body is
 * built from exactly what the online path would have sent to the model.
 */
export default async function prepare({ task, type, model }: PrepareTask): Promise<Prepared> {
  let request: SummaryRequest | undefined
  const capture: Summarizer = {
    provider: 'bedrock',
    summarize: async (req) => {
      request = req
      // Any non-empty text: analyzePage fits it to maxChars and moves on; it is never kept.
      return { summary: '-', model: '', usage: null, attempts: 1 }
    },
    close: async () => {},
  }
  const outcome = await analyzePage(task, capture)
  const common = { title: outcome.title, lang: outcome.lang, charset: outcome.charset, pages: outcome.pages, extractMs: outcome.timingsMs.extract }
  if (outcome.status === 'error') return { ...common, status: 'error', error: outcome.error }
  // The key an online Bedrock run of the same model computes for this page (no reply cap is
  // set on either path): a reply either path kept answers the other.
  const key = replyKey(renderCall('bedrock', model, request as SummaryRequest, {}))
  return { ...common, status: 'ok', modelInput: modelInputFor(request as SummaryRequest, type), replyKey: key }
}
