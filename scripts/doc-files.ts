// The project's Markdown docs: the README, CONTRIBUTING.md and docs/*.md. The generated option
// tables and the link check read them through here, so neither depends on which file holds what.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The doc files' paths, relative to the root, `/`-separated, in a fixed order. */
export function docPaths(root: string = ROOT): string[] {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`) : []
  return ['README.md', ...(existsSync(join(root, 'CONTRIBUTING.md')) ? ['CONTRIBUTING.md'] : []), ...docs]
}

/** Each doc file's text, by path relative to the root. */
export function readDocs(root: string = ROOT): Map<string, string> {
  return new Map(docPaths(root).map((path) => [path, readFileSync(join(root, path), 'utf8')]))
}
