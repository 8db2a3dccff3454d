import { HINTS } from '../error-hints.js'
import { EMULATOR_OPTIONS } from './emulator.js'
import { INPUT, JOB_OPTIONS } from './job.js'
import { optionsTable, replaceSection } from './markdown.js'

/** Marks the README's generated options table; `npm run docs:options` rewrites what is between. */
export const README_SECTION = 'job-options (generated from src/options/job.ts: npm run docs:options)'
/** Marks the README's generated emulator options table. */
export const README_EMULATOR_SECTION = 'emulator-options (generated from src/options/emulator.ts: npm run docs:options)'

/** Marks the README's generated table of error hints. */
export const README_HINTS_SECTION = 'error-hints (generated from src/error-hints.ts: npm run docs:options)'

/** The hint table as the README shows it: one row per code and context, in the order they are tried. */
export function hintsTable(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|')
  const rows = HINTS.map((row) => `| \`${row.code}\` | ${cell(row.context)} | ${cell(row.hint)} |`)
  return ['| code | when | `error.hint` |', '| --- | --- | --- |', ...rows].join('\n')
}

/** The README with its options tables regenerated from the tables; unchanged when they are up to date. */
export function syncReadme(readme: string): string {
  const job = optionsTable(JOB_OPTIONS, {
    before: [{ option: `\`<${INPUT.name}>\``, default: '(required)', meaning: INPUT.help }],
    after: [{ option: '`-h, --help`, `--version`', default: '', meaning: '' }],
  })
  const emulator = optionsTable(EMULATOR_OPTIONS, { header: 'emulator option' })
  return replaceSection(replaceSection(replaceSection(readme, README_SECTION, job), README_EMULATOR_SECTION, emulator), README_HINTS_SECTION, hintsTable())
}
