import { costOf } from '../batch/cost.js'

export interface Savings {
  /** Pages answered from the cache, and pages in all. */
  fromCache: number
  pages: number
  /** Tokens the cached replies were billed when they were made. */
  inputTokens: number
  outputTokens: number
  model: string
  /** USD per million tokens instead of the model's known price (batch's `--price-input`). */
  prices?: { priceInput?: number | undefined; priceOutput?: number | undefined }
  /** Half the on-demand price: the pages would otherwise have gone to a batch job. */
  batch?: boolean
}

const count = new Intl.NumberFormat('en-US')

/**
 * "812 of 1,000 pages from the cache: 0.81 M input tokens, $0.20 saved": the tokens the
 * cached replies cost when they were made, at the model's price (the table in
 * src/batch/cost.ts, on demand or batch), which this run did not pay again. Without a known
 * price the dollars are left out.
 */
export function savingsLine(s: Savings): string {
  const head = `${count.format(s.fromCache)} of ${count.format(s.pages)} ${s.pages === 1 ? 'page' : 'pages'} from the cache`
  if (s.fromCache === 0) return head
  const cost = costOf(s.model, { inputTokens: s.inputTokens, outputTokens: s.outputTokens }, s.prices)
  const usd = s.batch === true ? cost.batchUsd : cost.onDemandUsd
  const tokens = `${(s.inputTokens / 1_000_000).toFixed(2)} M input tokens`
  return `${head}: ${tokens}${usd === undefined ? ' saved' : `, $${usd.toFixed(2)} saved`}`
}
