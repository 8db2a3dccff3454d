import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HEAVY = ['vega', 'tinybench']

// A value import or re-export at the start of a line (`import type` and `export type` are
// erased, so they load nothing); `import()` expressions are not matched: they are lazy.
const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm

/** Every module a static import chain from `entry` reaches: project files (relative to the root) and packages. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const pending = [resolve(ROOT, entry)]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(relative(ROOT, file))) continue
    files.add(relative(ROOT, file))
    for (const [, typeOnly, specifier] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (typeOnly !== undefined || specifier === undefined) continue
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else if (!specifier.startsWith('node:')) packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string))
    }
  }
  return { files, packages }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
}

const scratch = mkdtempSync(join(tmpdir(), 'summarize-urls-imports-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Runs the CLI from source with every resolved module recorded; gives the module URLs. */
function loadedModules(args: string[], stdin = ''): Promise<string[]> {
  const record = join(scratch, `${args.join('_').replace(/\W/g, '')}.txt`)
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', '--import', join(ROOT, 'test/fixtures/record-imports.mjs'), join(ROOT, 'src/cli/bin.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, RECORD_IMPORTS: record }, timeout: 20 * 1000 },
      (error) => (error === null ? done(existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter((url) => url !== '') : []) : fail(error)),
    )
    child.stdin?.end(stdin)
  })
}

const harnessOrHeavy = (url: string): boolean => url.includes('/bench/') || HEAVY.some((name) => url.includes(`/node_modules/${name}/`))

describe('the benchmark harness loads only for bench and tune', () => {
  it('no static import from the CLI or the library entry reaches bench/, vega or tinybench', () => {
    for (const entry of ['src/cli/bin.ts', 'src/index.ts']) {
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
