import { EMULATOR_OPTIONS } from './emulator.js'
import { INPUT, JOB_OPTIONS } from './job.js'
import { optionsTable, replaceSection } from './markdown.js'

/** Marks the README's generated options table; `npm run docs:options` rewrites what is between. */
export const README_SECTION = 'job-options (generated from src/options/job.ts: npm run docs:options)'
/** Marks the README's generated emulator options table. */
export const README_EMULATOR_SECTION = 'emulator-options (generated from src/options/emulator.ts: npm run docs:options)'

/** The README with its options tables regenerated from the tables; unchanged when they are up to date. */
export function syncReadme(readme: string): string {
  const job = optionsTable(JOB_OPTIONS, {
    before: [{ option: `\`<${INPUT.name}>\``, default: '(required)', meaning: INPUT.help }],
    after: [{ option: '`-h, --help`, `--version`', default: '', meaning: '' }],
  })
  const emulator = optionsTable(EMULATOR_OPTIONS, { header: 'emulator option' })
  return replaceSection(replaceSection(readme, README_SECTION, job), README_EMULATOR_SECTION, emulator)
}
