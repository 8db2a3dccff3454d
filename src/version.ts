import { createRequire } from 'node:module'

// Read at runtime so the User-Agent and --version never drift from package.json.
// From src/ and from dist/src/ alike, package.json is found by walking up.
const require = createRequire(import.meta.url)
function readVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string }
      if (pkg.name === 'summarize-urls' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // not at this depth
    }
  }
  return '0.0.0'
}

export const VERSION: string = readVersion()
