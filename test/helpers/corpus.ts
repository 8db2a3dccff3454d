import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The shared page corpus lives beside the checkout (`../shared/corpus/readability-pages`),
 * never inside the repository. A test that needs it and cannot find it fails loudly.
 */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/readability-pages/', import.meta.url))

export function corpusPageNames(): string[] {
  if (!existsSync(CORPUS_DIR)) {
    throw new Error(`page corpus not found at ${CORPUS_DIR}: check out the project beside shared/`)
  }
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
}
