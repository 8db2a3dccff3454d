import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from '@babel/parser'
import type { Node } from '@babel/types'
import { describe, expect, it } from 'vitest'

// The shape the code keeps (issue 23): no file over 350 lines and no function over 80 in src/
// and bench/, and no import cycle in src/. Functions and imports are read by a real parser:
// TypeScript 7's native compiler has no JS API, and @babel/parser (pure JS) parses TypeScript.
const MAX_FILE_LINES = 350
const MAX_FUNCTION_LINES = 80

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Source files below `dir`: bench/results/ holds generated output, not source. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'results' || entry.name === '__pycache__' ? [] : sourceFiles(path)
    return /\.(?:[cm]?[jt]s|py)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'bench'))]
const scripts = files.filter((file) => !file.endsWith('.py'))

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

function program(text: string): Node {
  return parse(text, { sourceType: 'module', plugins: ['typescript'] }).program
}

/** Every node below `node`, depth first. */
function* walk(node: Node): Generator<Node> {
  yield node
  for (const [key, value] of Object.entries(node)) {
    if (key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments') continue
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child !== null && typeof child === 'object' && typeof (child as { type?: unknown }).type === 'string') yield* walk(child as Node)
    }
  }
}

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod'])

/** The name of a function: its own, its method's, or that of the variable or property it is assigned to. */
function functionName(node: Node, names: Map<Node, string>): string {
  const assigned = names.get(node)
  if (assigned !== undefined) return assigned
  if (node.type === 'ClassPrivateMethod') return `#${node.key.id.name}`
  if ((node.type === 'ClassMethod' || node.type === 'ObjectMethod') && node.key.type === 'Identifier') return node.key.name
  if ((node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') && node.id) return node.id.name
  return '(anonymous)'
}

/** Functions (declarations, expressions, arrows and methods) longer than `max` lines, as `line name (lines)`. */
function longFunctions(text: string, max: number): string[] {
  const long: string[] = []
  const nodes = [...walk(program(text))]
  const names = new Map<Node, string>()
  for (const node of nodes) {
    if (node.type === 'VariableDeclarator' && node.init && node.id.type === 'Identifier') names.set(node.init, node.id.name)
    if ((node.type === 'ClassProperty' || node.type === 'ObjectProperty') && node.key.type === 'Identifier') names.set(node.value as Node, node.key.name)
  }
  for (const node of nodes) {
    if (!FUNCTIONS.has(node.type) || node.loc === null || node.loc === undefined) continue
    const lines = node.loc.end.line - node.loc.start.line + 1
    if (lines > max) long.push(`${node.loc.start.line} ${functionName(node, names)} (${lines})`)
  }
  return long
}

/**
 * The specifiers a module loads at run time: static and bare imports, re-exports and
 * `import()`. `import type` and `export type` are erased (verbatimModuleSyntax), so they are
 * not edges; neither is an import whose every name is `type`.
 */
function runtimeImports(text: string): string[] {
  const specifiers: string[] = []
  for (const node of walk(program(text))) {
    if (node.type === 'ImportDeclaration') {
      const typeOnly = node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.type === 'ImportSpecifier' && s.importKind === 'type'))
      if (!typeOnly) specifiers.push(node.source.value)
    } else if ((node.type === 'ExportNamedDeclaration' || node.type === 'ExportAllDeclaration') && node.source) {
      if (node.exportKind !== 'type') specifiers.push(node.source.value)
    } else if (node.type === 'CallExpression' && node.callee.type === 'Import' && node.arguments[0]?.type === 'StringLiteral') {
      specifiers.push(node.arguments[0].value)
    }
  }
  return specifiers
}

const src = join(root, 'src')

/** Each file of `src/` with the files of `src/` it imports (`.js` specifiers name `.ts` sources). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of scripts.filter((path) => path.startsWith(`${src}/`))) {
    const targets = runtimeImports(readFileSync(file, 'utf8'))
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

describe('the shape of src/ and bench/', () => {
  it('finds the files it should check', () => {
    const names = files.map((file) => relative(root, file))
    expect(names).toContain('src/index.ts')
    expect(names).toContain('bench/bench.ts')
    expect(names).toContain('bench/peers/python_peer.py')
    expect(names.some((name) => name.startsWith('bench/results/'))).toBe(false)
  })

  it('measures functions of every kind, with their names', () => {
    const body = (lines: number): string => Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i}`).join('\n')
    const text = [
      `function declared() {\n${body(5)}\n}`,
      `const arrow = () => {\n${body(4)}\n}`,
      `class C {\n  method() {\n${body(6)}\n  }\n  #hidden() {\n${body(3)}\n  }\n}`,
      `const o = { m() {\n${body(7)}\n} }`,
    ].join('\n')
    expect(longFunctions(text, 3)).toEqual(['1 declared (5)', '6 arrow (4)', '11 method (6)', '21 m (7)'])
    expect(longFunctions(text, 2)).toContain('17 #hidden (3)')
  })

  it(`has no file over ${MAX_FILE_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file: relative(root, file), lines: lineCount(readFileSync(file, 'utf8')) }))
      .filter(({ lines }) => lines > MAX_FILE_LINES)
      .map(({ file, lines }) => `${file} (${lines})`)
    expect(long).toEqual([])
  })

  it(`has no function over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = scripts.flatMap((file) => longFunctions(readFileSync(file, 'utf8'), MAX_FUNCTION_LINES).map((found) => `${relative(root, file)}:${found}`))
    expect(long).toEqual([])
  })
})

describe('import graph of src/', () => {
  it('reads static, bare and dynamic imports, and leaves out type-only ones', () => {
    const text = [
      "import { a, type B } from './a.js'",
      "import type { C } from './c.js'",
      "import { type K } from './k.js'",
      "export type { D } from './d.js'",
      "export { e } from './e.js'",
      "import f, {\n  g,\n} from './f.js'",
      "import * as h from './h.js'",
      "import './i.js'",
      "const { j } = await import('./j.js')",
      "export * from './l.js'",
    ].join('\n')
    expect(runtimeImports(text).sort()).toEqual(['./a.js', './e.js', './f.js', './h.js', './i.js', './j.js', './l.js'])
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
