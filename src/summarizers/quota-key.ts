import { quotaKey } from '../control/peer-files.js'
import type { SummarizerConfig } from './config.js'

/**
 * The name under which runs sharing one provider quota find each other (peer-files.ts):
 * Bedrock's quota is an account's, per region and model; an OpenAI-compatible server's is
 * its key's, per model. Runs that differ in any part of it do not share. Hashed: no
 * endpoint, profile or key is written in the clear. Undefined for the offline summarizer,
 * which has no quota.
 */
export function quotaKeyOf(config: SummarizerConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  switch (config.provider) {
    case 'bedrock': {
      const { region, endpoint, profile, modelId } = config.settings
      // Without a profile the default chain decides: the variables it reads first name the account.
      const who = profile ?? env['AWS_PROFILE'] ?? env['AWS_ACCESS_KEY_ID'] ?? 'default'
      return quotaKey(['bedrock', region, endpoint ?? env['AWS_ENDPOINT_URL_BEDROCK_RUNTIME'] ?? env['AWS_ENDPOINT_URL'], who, modelId])
    }
    case 'openai': {
      const { baseURL, azure, apiKey, model } = config.settings
      return quotaKey(['openai', azure === undefined ? baseURL : `${azure.endpoint}/${azure.deployment}`, apiKey, model])
    }
    case 'extractive':
      return undefined
  }
}
