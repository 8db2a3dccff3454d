/**
 * Which model ids the emulator answers: Bedrock's current text models, by family (the
 * family decides the native InvokeModel body), each also under its inference-profile
 * prefixes and as an ARN. Anything else is a typo and gets Bedrock's invalid-identifier error.
 */

export type ModelFamily = 'anthropic' | 'nova' | 'titan' | 'llama' | 'mistral' | 'cohere'

/** Foundation-model ids, by family; the model table in docs/emulator.md lists exactly these (a test checks it). */
export const FOUNDATION_MODELS: Readonly<Record<ModelFamily, readonly string[]>> = {
  anthropic: [
    'anthropic.claude-3-haiku-20240307-v1:0',
    'anthropic.claude-3-sonnet-20240229-v1:0',
    'anthropic.claude-3-opus-20240229-v1:0',
    'anthropic.claude-3-5-haiku-20241022-v1:0',
    'anthropic.claude-3-5-sonnet-20240620-v1:0',
    'anthropic.claude-3-5-sonnet-20241022-v2:0',
    'anthropic.claude-3-7-sonnet-20250219-v1:0',
    'anthropic.claude-sonnet-4-20250514-v1:0',
    'anthropic.claude-opus-4-20250514-v1:0',
    'anthropic.claude-opus-4-1-20250805-v1:0',
    'anthropic.claude-sonnet-4-5-20250929-v1:0',
    'anthropic.claude-haiku-4-5-20251001-v1:0',
    'anthropic.claude-opus-4-5-20251101-v1:0',
  ],
  nova: ['amazon.nova-micro-v1:0', 'amazon.nova-lite-v1:0', 'amazon.nova-pro-v1:0', 'amazon.nova-premier-v1:0'],
  titan: ['amazon.titan-text-express-v1', 'amazon.titan-text-lite-v1', 'amazon.titan-text-premier-v1:0'],
  llama: [
    'meta.llama3-8b-instruct-v1:0',
    'meta.llama3-70b-instruct-v1:0',
    'meta.llama3-1-8b-instruct-v1:0',
    'meta.llama3-1-70b-instruct-v1:0',
    'meta.llama3-1-405b-instruct-v1:0',
    'meta.llama3-2-1b-instruct-v1:0',
    'meta.llama3-2-3b-instruct-v1:0',
    'meta.llama3-2-11b-instruct-v1:0',
    'meta.llama3-2-90b-instruct-v1:0',
    'meta.llama3-3-70b-instruct-v1:0',
  ],
  mistral: ['mistral.mistral-7b-instruct-v0:2', 'mistral.mixtral-8x7b-instruct-v0:1', 'mistral.mistral-large-2402-v1:0', 'mistral.mistral-small-2402-v1:0'],
  cohere: ['cohere.command-r-v1:0', 'cohere.command-r-plus-v1:0'],
}

/**
 * Cross-region inference-profile prefixes. Bedrock offers each profile for some models only;
 * the emulator accepts every prefix on every model, since a client cannot tell the difference
 * until it reaches the real service.
 */
export const PROFILE_PREFIXES: readonly string[] = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global']

const FAMILY_OF = new Map<string, ModelFamily>(
  Object.entries(FOUNDATION_MODELS).flatMap(([family, ids]) => ids.map((id) => [id, family as ModelFamily] as const)),
)

/** Every model id the emulator knows: foundation-model ids and their inference profiles. */
export const EMULATOR_MODELS: readonly string[] = Object.freeze([
  ...FAMILY_OF.keys(),
  ...PROFILE_PREFIXES.flatMap((prefix) => [...FAMILY_OF.keys()].map((id) => `${prefix}.${id}`)),
])

/** Foundation-model and inference-profile ARNs name the same models as their ids. */
export function normaliseModelId(id: string): string {
  return id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id
}

/** The family of a (normalised) model id, or undefined for an id Bedrock would call invalid. */
export function familyOf(modelId: string): ModelFamily | undefined {
  const direct = FAMILY_OF.get(modelId)
  if (direct !== undefined) return direct
  const dot = modelId.indexOf('.')
  return dot > 0 && PROFILE_PREFIXES.includes(modelId.slice(0, dot)) ? FAMILY_OF.get(modelId.slice(dot + 1)) : undefined
}

export type ModelAccess = { kind: 'granted'; family: ModelFamily } | { kind: 'unknown' } | { kind: 'denied' }

/** Whether a call to `modelId` may run: unknown ids and models without access are refused. */
export function modelAccess(modelId: string, deniedModels: ReadonlySet<string>): ModelAccess {
  const family = familyOf(modelId)
  if (family === undefined) return { kind: 'unknown' }
  return deniedModels.has(modelId) ? { kind: 'denied' } : { kind: 'granted', family }
}
