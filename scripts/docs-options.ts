// Rewrites the README's options tables from src/options/job.ts and src/options/emulator.ts
// (test/readme-options.test.ts fails while either is out of date).
import { readFileSync, writeFileSync } from 'node:fs'
import { syncReadme } from '../src/options/readme.js'

const path = new URL('../README.md', import.meta.url)
const before = readFileSync(path, 'utf8')
const after = syncReadme(before)
if (after !== before) writeFileSync(path, after)
process.stdout.write(`README.md: options and hint tables ${after === before ? 'already up to date' : 'rewritten'}\n`)
