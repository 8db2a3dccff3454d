import { HINTS } from '../error-hints.js'
import { EMULATOR_OPTIONS } from './emulator.js'
import { INPUT, JOB_OPTIONS } from './job.js'
import { optionsTable, replaceSection } from './markdown.js'

/** Marks the generated table of every job option; `npm run docs:options` rewrites what is between. */
export const README_SECTION = 'job-options (generated from src/options/job.ts: npm run docs:options)'
/** Marks the README's short table of the options most runs use (rows from the same table). */
export const README_COMMON_SECTION = 'job-options-common (generated from src/options/job.ts: npm run docs:options)'
/** Marks the generated emulator options table. */
export const README_EMULATOR_SECTION = 'emulator-options (generated from src/options/emulator.ts: npm run docs:options)'
/** Marks the generated table of error hints. */
export const README_HINTS_SECTION = 'error-hints (generated from src/error-hints.ts: npm run docs:options)'

/** The options a newcomer's runs use, in the order the README's short table lists them. */
export const COMMON_JOB_OPTIONS = ['provider', 'model', 'region', 'out', 'format', 'concurrency', 'rpm', 'tpm', 'resume', 'prompt', 'mode'] as const satisfies readonly (keyof typeof JOB_OPTIONS)[]

/** The hint table as the docs show it: one row per code and context, in the order they are tried. */
export function hintsTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|')
  const rows = HINTS.map((row) => `| \`${row.code}\` | ${cell(row.context)} | ${cell(row.hint)} |`)
  return ['| code | when | `error.hint` |', '| --- | --- | --- |', ...rows].join('\n')
}

/** Every generated section: its marker name and its body. Each lives in exactly one doc file. */
export function generatedSections(): { name: string; body: string }[] {
  const input = { option: `\`<${INPUT.name}>\``, default: '(required)', meaning: INPUT.help }
  const common = Object.fromEntries(COMMON_JOB_OPTIONS.map((key) => [key, JOB_OPTIONS[key]]))
  return [
    { name: README_SECTION, body: optionsTable(JOB_OPTIONS, { before: [input], after: [{ option: '`-h, --help`, `--version`', default: '', meaning: '' }] }) },
    { name: README_COMMON_SECTION, body: optionsTable(common, { before: [input] }) },
    { name: README_EMULATOR_SECTION, body: optionsTable(EMULATOR_OPTIONS, { header: 'emulator option' }) },
    { name: README_HINTS_SECTION, body: hintsTable() },
  ]
}

/** The text with every generated section it holds regenerated; unchanged when they are up to date. */
export function syncDoc(text: string): string {
  return generatedSections().reduce((doc, { name, body }) => (doc.includes(`<!-- BEGIN ${name} -->`) ? replaceSection(doc, name, body) : doc), text)
}

/**
 * The doc files (path → text) with their generated sections regenerated. Which file holds a
 * table is the docs' business; that each table is held exactly once is checked here, so a
 * split that lost a marker (or copied one) fails loudly instead of leaving a stale table.
 */
export function syncDocs(files: ReadonlyMap<string, string>): Map<string, string> {
  for (const { name } of generatedSections()) {
    const holders = [...files].filter(([, text]) => text.includes(`<!-- BEGIN ${name} -->`)).map(([path]) => path)
    if (holders.length !== 1) throw new Error(`the markers <!-- BEGIN ${name} --> should be in exactly one doc file, found in ${holders.length === 0 ? 'none' : holders.join(', ')}`)
  }
  return new Map([...files].map(([path, text]) => [path, syncDoc(text)]))
}
