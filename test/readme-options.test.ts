import { describe, expect, it } from 'vitest'
import { EMULATOR_OPTIONS } from '../src/options/emulator.js'
import { replaceSection } from '../src/options/markdown.js'
import { generatedSections, README_COMMON_SECTION, README_EMULATOR_SECTION, README_SECTION, syncDocs } from '../src/options/readme.js'
import { readDocs } from '../scripts/doc-files.js'

const docs = readDocs()

/** The generated section `name`, from the one doc file that holds it. */
function holding(name: string): string {
  const texts = [...docs.values()].filter((text) => text.includes(`<!-- BEGIN ${name} -->`))
  expect(texts, `one doc file with <!-- BEGIN ${name} -->`).toHaveLength(1)
  const text = texts[0]!
  return text.slice(text.indexOf(`<!-- BEGIN ${name} -->`), text.indexOf(`<!-- END ${name} -->`))
}

describe('the generated option tables in the docs', () => {
  it('are the ones generated from the option tables (run npm run docs:options after changing a row)', () => {
    for (const [path, text] of syncDocs(docs)) expect(text, path).toBe(docs.get(path))
  })

  it('each live in exactly one doc file', () => {
    for (const { name } of generatedSections()) holding(name)
  })

  it('show defaults and choices as a user types them', () => {
    const table = holding(README_SECTION)
    expect(table).toContain('| `--fetch-timeout S` | `30` |')
    expect(table).toContain('| `--concurrency N` | `16` (`1` for `sequential`) |')
    expect(table).toContain('| `-f, --format jsonl\\|csv\\|md\\|parquet` |')
  })

  it("give the README a short table of the most used options, from the same rows", () => {
    const readme = docs.get('README.md') ?? ''
    expect(readme).toContain(`<!-- BEGIN ${README_COMMON_SECTION} -->`)
    expect(readme).toContain('| `--concurrency N` | `16` (`1` for `sequential`) |')
    expect(readme).not.toContain('| `--fetch-timeout S` |')
  })

  it('list every emulator option', () => {
    const table = holding(README_EMULATOR_SECTION)
    expect(table).toContain('| emulator option | default | meaning |')
    for (const row of Object.values(EMULATOR_OPTIONS)) expect(table).toContain(`| \`--${row.flag}`)
    expect(table).toContain('| `--rpm N` | no limit |')
  })

  it('refuses to regenerate a README whose markers are gone instead of adding a second table', () => {
    expect(() => replaceSection('# no markers here\n', 'job-options', '| table |')).toThrow('markers')
  })

  it('refuses docs that lost a table or hold one twice', () => {
    const lost = new Map([...docs].map(([path, text]) => [path, text.replaceAll(`<!-- BEGIN ${README_SECTION} -->`, '')]))
    expect(() => syncDocs(lost)).toThrow(/exactly one doc file, found in none/)
    const twice = new Map([...docs, ['docs/copy.md', `${holding(README_SECTION)}<!-- END ${README_SECTION} -->`]])
    expect(() => syncDocs(twice)).toThrow(/exactly one doc file, found in .*docs\/copy\.md/)
  })
})
