import { isDenseChar } from '../tokens.js'
import type { SummaryRequest } from './summarizer.js'

const DEFAULT_MAX_OUTPUT_TOKENS = 4096
/** Room for the model to close its last sentence past the requested length. */
const OUTPUT_TOKEN_SLACK = 64

/**
 * The reply's token ceiling, the same for every provider. Latin scripts run about 4
 * characters per token, so half a token per character leaves twice the room asked for;
 * Chinese, Japanese and Korean run about one token per character (more with some
 * tokenizers), so they get 1.5. A ceiling only: the reply is billed for what is generated,
 * and the caller cuts it to `maxChars` anyway. `cap` defaults to 4096.
 */
export function maxTokensFor(req: SummaryRequest, cap: number = DEFAULT_MAX_OUTPUT_TOKENS): number {
  // No cap on the reply (`--max-chars 0`): the ceiling is the cap.
  if (req.maxChars === 0) return cap
  const perChar = isDenseScript(req) ? 1.5 : 0.5
  return Math.max(1, Math.min(cap, Math.ceil(req.maxChars * perChar) + OUTPUT_TOKEN_SLACK))
}

const DENSE_LANGS = new Set(['ja', 'zh', 'ko', 'yue', 'th', 'lo', 'km', 'my'])

function isDenseScript(req: SummaryRequest): boolean {
  const primary = req.lang.toLowerCase().split(/[-_]/)[0] ?? ''
  if (primary !== '') return DENSE_LANGS.has(primary)
  const sample = req.text.slice(0, 2000)
  let dense = 0
  for (const char of sample) if (isDenseChar(char)) dense += 1
  return sample.length > 0 && dense / sample.length > 0.3
}
