import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The folder holding package.json: above `bench/` from source, above `dist/bench/` when
 * built. Found by walking up, so the built CLI finds `samples/` and `bench/peers/` too.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'summarize-urls') return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('summarize-urls: package.json not found above the benchmark module')
    dir = parent
  }
}

export interface Corpus {
  dir: string
  /** Paths of the pages inside `dir`, `/`-separated, sorted. */
  pages: string[]
  /** How the output names it: the 90-page corpus of a checkout, the bundled samples, or a folder the user gave. */
  label: string
}

/** Where a checkout keeps the 90 real pages; the npm package leaves test/ out (package.json `files`). */
export const CHECKOUT_CORPUS = 'test/fixtures/corpus'

/**
 * The page corpus: `--corpus DIR` when given; else the 90 real pages of a checkout
 * (`test/fixtures/corpus`); else the six bundled sample pages, which is all an npm install has.
 */
export function resolveCorpus(dir: string | undefined): Corpus {
  if (dir !== undefined) {
    const pages = listPages(dir)
    if (pages.length === 0) throw new TypeError(`--corpus must be a folder of .html/.txt pages (or of folders holding source.html), got \`${dir}\` with none`)
    // Absolute: the page server runs in a child process with its own working directory.
    return { dir: resolve(dir), pages, label: `${pages.length} pages from ${dir}` }
  }
  const root = packageRoot()
  const checkout = join(root, CHECKOUT_CORPUS)
  if (existsSync(checkout)) {
    const pages = listPages(checkout)
    if (pages.length > 0) return { dir: checkout, pages, label: `${pages.length} real pages of ${CHECKOUT_CORPUS}` }
  }
  const samples = join(root, 'samples', 'pages')
  const pages = listPages(samples)
  return { dir: samples, pages, label: `${pages.length} bundled sample pages (samples/pages; the 90-page corpus of a checkout, ${CHECKOUT_CORPUS}, was not found)` }
}

/** `NAME/source.html` for every subfolder that has one (the corpus layout), else the folder's own pages. */
export function listPages(dir: string): string[] {
  if (!existsSync(dir)) throw new TypeError(`--corpus folder \`${dir}\` does not exist`)
  const entries = readdirSync(dir, { withFileTypes: true })
  const nested = entries.filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'source.html'))).map((e) => `${e.name}/source.html`)
  if (nested.length > 0) return nested.sort()
  return entries
    .filter((e) => e.isFile() && /\.(html?|txt)$/i.test(e.name))
    .map((e) => e.name)
    .sort()
}

/**
 * `count` page paths, cycling through `paths`. Each copy after the first gets its own query
 * (`?copy=2`): the run answers a repeated URL from its first record without fetching it
 * again, so a corpus repeated to size must not repeat URLs. The page server ignores queries.
 */
export function repeatTo(paths: readonly string[], count: number): string[] {
  if (paths.length === 0) return []
  return Array.from({ length: count }, (_, i) => {
    const copy = Math.floor(i / paths.length)
    const path = paths[i % paths.length] as string
    return copy === 0 ? path : `${path}?copy=${copy + 1}`
  })
}

/** Every `k`-th page so that `count` are spread over the corpus (languages and sizes vary along it). */
export function spreadPick<T>(pages: readonly T[], count: number): T[] {
  if (count >= pages.length) return [...pages]
  const step = pages.length / count
  return Array.from({ length: count }, (_, i) => pages[Math.floor(i * step)] as T)
}
