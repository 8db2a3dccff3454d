import { INPUT, JOB_OPTIONS } from './job.js'
import { optionsTable, replaceSection } from './markdown.js'

/** Marks the README's generated options table; `npm run docs:options` rewrites what is between. */
export const README_SECTION = 'job-options (generated from src/options/job.ts: npm run docs:options)'

/** The README with its options table regenerated from the table; unchanged when it is up to date. */
export function syncReadme(readme: string): string {
  const table = optionsTable(JOB_OPTIONS, {
    before: [{ option: `\`<${INPUT.name}>\``, default: '(required)', meaning: INPUT.help }],
    after: [{ option: '`-h, --help`, `--version`', default: '', meaning: '' }],
  })
  return replaceSection(readme, README_SECTION, table)
}
