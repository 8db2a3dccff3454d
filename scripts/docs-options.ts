// Rewrites the generated tables (options, emulator options, error hints) in whichever doc file
// holds each one (README.md, CONTRIBUTING.md, docs/*.md), from src/options/*.ts and
// src/error-hints.ts. test/readme-options.test.ts fails while any is out of date.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { syncDocs } from '../src/options/readme.js'
import { readDocs, ROOT } from './doc-files.js'

const before = readDocs()
const after = syncDocs(before)
const rewritten = [...after].filter(([path, text]) => text !== before.get(path)).map(([path]) => path)
for (const path of rewritten) writeFileSync(join(ROOT, path), after.get(path) ?? '')
process.stdout.write(`docs: options and hint tables ${rewritten.length === 0 ? 'already up to date' : `rewritten in ${rewritten.join(', ')}`}\n`)
