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

/**
 * The ten corpus pages that cost the most to extract, about half of the corpus's extraction
 * CPU between them (`npx tsx bench/extract.ts --json`, CPU ms a page: wikipedia-2 389,
 * wikipedia 103, 002 101, royal-road 77, pixnet 56, yahoo-2 54, mercurial 51, buzzfeed-1 50,
 * salon-1 49, wikipedia-4 48; the median page 12).
 */
const COSTLY_PAGES: ReadonlySet<string> = new Set(['wikipedia-2', 'wikipedia', '002', 'royal-road', 'pixnet', 'yahoo-2', 'mercurial', 'buzzfeed-1', 'salon-1', 'wikipedia-4'])

/**
 * The corpus without its ten costliest pages, for tests that need many lines for a count (a
 * batch job's 100-record minimum) rather than every layout: 80 real pages at half the CPU.
 * Tests of extraction or of the whole corpus use corpusPageNames().
 */
export function volumePageNames(): string[] {
  return corpusPageNames().filter((name) => !COSTLY_PAGES.has(name))
}
