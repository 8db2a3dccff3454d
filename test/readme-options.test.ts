import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { EMULATOR_OPTIONS } from '../src/options/emulator.js'
import { replaceSection } from '../src/options/markdown.js'
import { syncReadme } from '../src/options/readme.js'

describe('the README options table', () => {
  it('is the one generated from the option table (run npm run docs:options after changing a row)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(syncReadme(readme)).toBe(readme)
  })

  it('lists every job flag with its default in the units typed on the command line', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain('| `--fetch-timeout S` | `30` |')
    expect(readme).toContain('| `--concurrency N` | `16` (`1` for `sequential`) |')
    expect(readme).toContain('| `-f, --format jsonl\\|csv\\|md\\|parquet` |')
  })

  it('lists every emulator flag, from the emulator table, under its own header', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain('| emulator option | default | meaning |')
    for (const row of Object.values(EMULATOR_OPTIONS)) expect(readme).toContain(`| \`--${row.flag}`)
    expect(readme).toContain('| `--rpm N` | no limit |')
  })

  it('refuses to regenerate a README whose markers are gone instead of adding a second table', () => {
    expect(() => replaceSection('# no markers here\n', 'job-options', '| table |')).toThrow('markers')
  })
})
