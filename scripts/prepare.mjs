// `npm install` / `npm ci` from a checkout builds dist/ (the `summarize-urls` command). A
// production-only install (`npm ci --omit=dev`) has no TypeScript to build with: it says so
// and succeeds, rather than failing the whole install on `tsc: not found`. A package from
// `npm pack` or the registry ships dist/ already and never runs this.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
let tsc
try {
  tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc')
} catch {
  console.error('summarize-urls: dev dependencies are not installed (--omit=dev), so dist/ is not built here: run `npm ci` to build it')
  process.exit(0)
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
process.exit(result.status ?? 1)
