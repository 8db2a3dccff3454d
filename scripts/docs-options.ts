// Rewrites the README's options table from src/options/job.ts (test/readme-options.test.ts
// fails while it is out of date).
import { readFileSync, writeFileSync } from 'node:fs'
import { syncReadme } from '../src/options/readme.js'

const path = new URL('../README.md', import.meta.url)
const before = readFileSync(path, 'utf8')
const after = syncReadme(before)
if (after !== before) writeFileSync(path, after)
process.stdout.write(`README.md: options table ${after === before ? 'already up to date' : 'rewritten'}\n`)
