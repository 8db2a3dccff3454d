import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { loadedModules, staticGraph } from './helpers/loaded-modules.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HEAVY = ['vega', 'tinybench']

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

const harnessOrHeavy = (url: string): boolean => url.includes('/bench/') || HEAVY.some((name) => url.includes(`/node_modules/${name}/`))

describe('the benchmark harness loads only for bench and tune', () => {
  it('no static import from the CLI or the library entry reaches bench/, vega or tinybench', () => {
    // bin.ts imports main.ts only once its signal handlers are set, so the CLI's graph starts there.
    for (const entry of ['src/cli/main.ts', 'src/index.ts']) {
      const { files, packages } = staticGraph(entry)
      expect(files.size).toBeGreaterThan(10)
      expect([...files].filter((file) => file.startsWith('bench/'))).toEqual([])
      expect(HEAVY.filter((name) => packages.has(name))).toEqual([])
    }
  })

  it('src/ names bench/ in one place only: the lazy import in src/cli/main.ts', () => {
    const naming = sourceFiles('src').filter((file) => /['"](?:\.\.\/)+bench\//.test(readFileSync(join(ROOT, file), 'utf8')))
    expect(naming).toEqual(['src/cli/main.ts'])
    expect(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8')).toMatch(/import\('\.\.\/\.\.\/bench\/command\.js'\)/)
  })

  it('--version and a normal run load neither the harness nor vega or tinybench', async () => {
    const version = await loadedModules(['--version'])
    const run = await loadedModules(['-', '--provider', 'extractive', '--quiet'])
    for (const urls of [version, run]) {
      expect(urls.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true)
      expect(urls.filter(harnessOrHeavy)).toEqual([])
    }
  })

  it('bench --help does load the harness (the recording sees lazy imports)', async () => {
    const urls = await loadedModules(['bench', '--help'])
    expect(urls.some((url) => url.endsWith('/bench/command.ts'))).toBe(true)
  })
})
