import { describe, expect, it } from 'vitest'
import { COMMAND_LIST, rootHelp } from '../src/cli/help.js'
import { BATCH_MODE_OPTIONS } from '../src/options/batch.js'
import { JOB_OPTIONS } from '../src/options/job.js'
import { describeDefault, type Row } from '../src/options/table.js'
import { terminalText } from '../src/options/yargs.js'

const TABLE = { ...JOB_OPTIONS, ...BATCH_MODE_OPTIONS }
/** The help text with its line breaks and column padding folded away: what a reader reads. */
const flat = (text: string): string => text.replace(/\s+/g, ' ')

describe('summarize-urls --help, written from the option tables', () => {
  const help = rootHelp(TABLE, 100)

  it('lists every command with its description', () => {
    for (const [name, text] of Object.values(COMMAND_LIST)) {
      expect(flat(help)).toContain(name.replace('$0', 'summarize-urls'))
      expect(flat(help)).toContain(text)
    }
  })

  it('puts every row under its group heading, with its help, choices, type and default', () => {
    const rows = Object.values(TABLE) as Row[]
    for (const row of rows) {
      const group = row.group ?? 'Options'
      const section = help.split('\n\n').find((block) => block.startsWith(`${group.replace(/:$/, '')}:`)) ?? ''
      const line = flat(section)
      expect(line, row.flag).toContain(`--${row.flag} ${terminalText(row.help)}`)
      if (row.alias !== undefined) expect(line).toContain(`-${row.alias}, --${row.flag}`)
      const shown = row.kind === 'boolean' ? undefined : describeDefault(row)
      if (shown !== undefined) expect(line, row.flag).toContain(`[default: ${terminalText(shown)}]`)
      if (row.kind === 'enum') expect(line).toContain(`[choices: ${row.values.join(' | ')}]`)
    }
  })

  it('keeps every line within the width, but for example commands, which are never broken', () => {
    for (const width of [80, 100, 110]) {
      const long = rootHelp(TABLE, width)
        .split('\n')
        .filter((line) => line.length > width)
      expect(long.every((line) => /^ {2}(summarize-urls|cat) /.test(line)), long.join('\n')).toBe(true)
    }
  })
})
