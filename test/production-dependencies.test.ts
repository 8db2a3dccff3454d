import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

// Value imports only: `import type` is erased. Dynamic imports are edges too: a production
// install must have whatever a command can load, lazily or not.
const STATIC = /^\s*(?:import|export)\s+(type\s+)?(?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?|[\w$]+)\s*from\s*['"]([^'"]+)['"]/gm
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g

const packageOf = (specifier: string): string => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier))
const builtin = (specifier: string): boolean => specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier))

/** Every package reached from the shipped entry points, by how it is first loaded. */
function shippedPackages(entries: readonly string[]): Map<string, { file: string; lazy: boolean }> {
  const found = new Map<string, { file: string; lazy: boolean }>()
  const seen = new Set<string>()
  const pending = entries.map((entry) => resolve(ROOT, entry))
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    const imports = [
      ...[...text.matchAll(STATIC)].filter((m) => m[1] === undefined).map((m) => ({ specifier: m[2] ?? '', lazy: false })),
      ...[...text.matchAll(BARE)].map((m) => ({ specifier: m[1] ?? '', lazy: false })),
      ...[...text.matchAll(DYNAMIC)].map((m) => ({ specifier: m[1] ?? '', lazy: true })),
    ]
    for (const { specifier, lazy } of imports) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
        if (existsSync(target)) pending.push(target)
      } else if (!builtin(specifier)) {
        const name = packageOf(specifier)
        const before = found.get(name)
        if (before === undefined || (before.lazy && !lazy)) found.set(name, { file: relative(ROOT, file), lazy })
      }
    }
  }
  return found
}

const ENTRIES = ['src/cli/bin.ts', 'src/index.ts', ...readdirSync(join(ROOT, 'workers')).filter((f) => f.endsWith('.ts')).map((f) => `workers/${f}`)]

describe('a production install (npm ci --omit=dev) has every package the CLI and the library load', () => {
  it('every package reached from bin, index and the workers is a dependency, or an optional peer loaded with import()', () => {
    const packages = shippedPackages(ENTRIES)
    // The graph reaches the bench harness and the batch commands through their lazy imports.
    expect(packages.has('tinybench')).toBe(true)
    expect(packages.has('@aws-sdk/client-s3')).toBe(true)
    const wrong = [...packages].flatMap(([name, { file, lazy }]) => {
      if (pkg.dependencies[name] !== undefined) return []
      const optionalPeer = pkg.peerDependencies?.[name] !== undefined && pkg.peerDependenciesMeta?.[name]?.optional === true
      if (optionalPeer && lazy) return []
      return [`${name} (from ${file}${lazy ? ', lazily' : ''})`]
    })
    expect(wrong).toEqual([])
  })

  it('vega draws the bench charts only when installed: an optional peer, kept for development', () => {
    expect(pkg.dependencies['vega']).toBeUndefined()
    expect(pkg.peerDependenciesMeta?.['vega']?.optional).toBe(true)
    expect(pkg.devDependencies['vega']).toBe(pkg.peerDependencies?.['vega'])
  })

  it('linkedom, used by tests and bench/extract.ts only, is a devDependency', () => {
    expect(pkg.dependencies['linkedom']).toBeUndefined()
    expect(pkg.devDependencies['linkedom']).toBeDefined()
    expect(shippedPackages(ENTRIES).has('linkedom')).toBe(false)
  })
})
