import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// A value import or re-export at the start of a line (`import type` and `export type` are
// erased, so they load nothing); `import()` expressions are not matched: they are lazy.
const STATIC_IMPORT = /^(?:import|export)\s+(type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/gm

/** Every module a static import chain from `entry` reaches: project files (relative to the root), packages, and the package specifiers as written (`iso-639-3/iso6393-to-1.js`). */
export function staticGraph(entry: string): { files: Set<string>; packages: Set<string>; specifiers: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const specifiers = new Set<string>()
  const pending = [resolve(ROOT, entry)]
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(relative(ROOT, file))) continue
    files.add(relative(ROOT, file))
    for (const [, typeOnly, specifier] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (typeOnly !== undefined || specifier === undefined) continue
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else if (!specifier.startsWith('node:')) {
        specifiers.add(specifier)
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string))
      }
    }
  }
  return { files, packages, specifiers }
}

/**
 * Runs the CLI from source with every resolved module recorded, whatever its exit code; gives the module URLs.
 * Each call records into a folder of its own, removed once read: test files share their worker
 * process (vitest `isolate: false`), and a folder made when this module loaded was removed by
 * the first file's end while the next file still used it.
 */
export function loadedModules(args: string[], stdin = ''): Promise<string[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'summarize-urls-imports-'))
  const record = join(scratch, 'imports.txt')
  const read = (): string[] => {
    const urls = existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter((url) => url !== '') : []
    rmSync(scratch, { recursive: true, force: true })
    return urls
  }
  return new Promise((done, fail) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', '--import', join(ROOT, 'test/fixtures/record-imports.mjs'), join(ROOT, 'src/cli/bin.ts'), ...args],
      { cwd: ROOT, env: { ...process.env, RECORD_IMPORTS: record }, timeout: 20 * 1000 },
      // An exit code is the command's answer (1: a page failed), not a failure to record.
      (error) => {
        const urls = read()
        if (error === null || typeof error.code === 'number') done(urls)
        else fail(error)
      },
    )
    child.stdin?.end(stdin)
  })
}

