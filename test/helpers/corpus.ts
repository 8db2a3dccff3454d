import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The 90 real pages, vendored in the repository (see its README for source and licence), so
 * a clone is all the tests need. A test that needs them and cannot find them fails loudly.
 */
export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url))

export function corpusPageNames(): string[] {
  if (!existsSync(CORPUS_DIR)) {
    throw new Error(`page corpus not found at ${CORPUS_DIR}: test/fixtures/corpus is part of the repository`)
  }
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
}
