import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// TypeScript 7's native compiler has no JS API for graph tools to build on, and a regular
// expression over our own sources is enough: every relative import here is a static
// `import … from`, an `export … from`, a bare `import '…'` or an `import('…')`. The graph is
// the one the compiled JavaScript has (what `madge --circular dist/src` would check):
// `import type` and `export type` are erased (verbatimModuleSyntax), so they are not edges.
const STATIC = /^\s*(?:import|export)\s+(type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s*from\s*['"]([^'"]+)['"]/gm
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g

/** The specifiers a module loads at run time. */
function runtimeImports(text: string): string[] {
  return [
    ...[...text.matchAll(STATIC)].filter((match) => match[1] === undefined).map((match) => match[2] ?? ''),
    ...[...text.matchAll(BARE)].map((match) => match[1] ?? ''),
    ...[...text.matchAll(DYNAMIC)].map((match) => match[1] ?? ''),
  ]
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/** Each file of `src/` with the files of `src/` it imports (`.js` specifiers name `.ts` sources). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8')
    const targets = runtimeImports(text)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      .filter((target) => target.startsWith(`${src}/`))
    graph.set(relative(root, file), [...new Set(targets.map((target) => relative(root, target)))])
  }
  return graph
}

/** Every strongly connected component of more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    index.set(node, index.size)
    low.set(node, index.get(node) ?? 0)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0))
      }
    }
    if (low.get(node) !== index.get(node)) return
    const component: string[] = []
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member)
      component.push(member)
      if (member === node) break
    }
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort())
  }
  for (const node of graph.keys()) if (!index.has(node)) visit(node)
  return found
}

describe('import graph of src/', () => {
  it('reads static, bare and dynamic imports, and leaves out type-only ones', () => {
    const text = [
      "import { a, type B } from './a.js'",
      "import type { C } from './c.js'",
      "export type { D } from './d.js'",
      "export { e } from './e.js'",
      "import f, {\n  g,\n} from './f.js'",
      "import * as h from './h.js'",
      "import './i.js'",
      "const { j } = await import('./j.js')",
    ].join('\n')
    expect(runtimeImports(text).sort()).toEqual(['./a.js', './e.js', './f.js', './h.js', './i.js', './j.js'])
  })

  it('finds the files it should check, with their imports', () => {
    const graph = importGraph()
    expect(graph.size).toBeGreaterThan(20)
    expect(graph.get('src/index.ts')).toContain('src/options.ts')
  })

  it('reports a cycle, and a file that imports itself', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['d']],
      ['e', ['a']],
    ])
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['d']])
  })

  it('has no import cycles', () => {
    expect(cycles(importGraph()).map((component) => component.join(' <-> '))).toEqual([])
  })
})
