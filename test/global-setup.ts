import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/**
 * Builds dist/ once, before any test file runs. Several files run the built bin (what users
 * run: compiled JavaScript with compiled workers); building it from each of them at once
 * raced, one file rewriting the modules another was loading.
 */
export default async function buildDist(): Promise<void> {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url))
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: fileURLToPath(new URL('..', import.meta.url)) })
}
