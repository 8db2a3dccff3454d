/**
 * On-demand prices of the default models, USD per million tokens (Amazon Bedrock pricing
 * page, us-east-1, checked 2026-11). Batch inference is billed at half of on-demand for
 * these models. `--price-input` / `--price-output` override them, and are needed for models
 * not listed here.
 */
export const ON_DEMAND_PRICES: Readonly<Record<string, { input: number; output: number }>> = {
  'anthropic.claude-3-haiku-20240307-v1:0': { input: 0.25, output: 1.25 },
  'anthropic.claude-3-5-haiku-20241022-v1:0': { input: 0.8, output: 4 },
  'anthropic.claude-haiku-4-5-20251001-v1:0': { input: 1, output: 5 },
  'anthropic.claude-3-5-sonnet-20240620-v1:0': { input: 3, output: 15 },
  'anthropic.claude-3-5-sonnet-20241022-v2:0': { input: 3, output: 15 },
  'anthropic.claude-3-7-sonnet-20250219-v1:0': { input: 3, output: 15 },
  'anthropic.claude-sonnet-4-20250514-v1:0': { input: 3, output: 15 },
  'anthropic.claude-sonnet-4-5-20250929-v1:0': { input: 3, output: 15 },
  'amazon.nova-micro-v1:0': { input: 0.035, output: 0.14 },
  'amazon.nova-lite-v1:0': { input: 0.06, output: 0.24 },
  'amazon.nova-pro-v1:0': { input: 0.8, output: 3.2 },
}

export const BATCH_DISCOUNT = 0.5

export interface Cost {
  inputTokens: number
  outputTokens: number
  /** Undefined when the model has no known price and none was given. */
  batchUsd: number | undefined
  onDemandUsd: number | undefined
}

/** A model id with its inference-profile prefix (`us.`, `global.`) or ARN prefix removed. */
function baseModel(modelId: string): string {
  const id = modelId.slice(modelId.lastIndexOf('/') + 1)
  const match = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/.exec(id)
  return match?.[1] ?? id
}

export function costOf(modelId: string, tokens: { inputTokens: number; outputTokens: number }, override: { priceInput?: number | undefined; priceOutput?: number | undefined } = {}): Cost {
  const known = ON_DEMAND_PRICES[baseModel(modelId)]
  const input = override.priceInput ?? known?.input
  const output = override.priceOutput ?? known?.output
  const onDemandUsd = input === undefined || output === undefined ? undefined : (tokens.inputTokens * input + tokens.outputTokens * output) / 1_000_000
  return { ...tokens, onDemandUsd, batchUsd: onDemandUsd === undefined ? undefined : onDemandUsd * BATCH_DISCOUNT }
}

/**
 * The tokens read from the output records and their price; `manifest`: the jobs' own counts,
 * named beside them when they differ (a damaged or partial output, a manifest of another run).
 */
export function costLine(cost: Cost, manifest?: { inputTokens: number; outputTokens: number }): string {
  const tokens = `${cost.inputTokens} input + ${cost.outputTokens} output tokens`
  const differs = manifest !== undefined && (manifest.inputTokens !== cost.inputTokens || manifest.outputTokens !== cost.outputTokens)
  const source = differs ? ` in the records read (the manifests say ${manifest.inputTokens} input + ${manifest.outputTokens} output)` : ''
  if (cost.batchUsd === undefined || cost.onDemandUsd === undefined) return `${tokens}${source} (no price known for this model: pass --price-input and --price-output)`
  return `${tokens}${source}: $${cost.batchUsd.toFixed(4)} at the batch price, against $${cost.onDemandUsd.toFixed(4)} on demand`
}
