import { INPUT } from '../options/job.js'
import type { Table } from '../options/table.js'
import { yargsOptions, terminalText } from '../options/yargs.js'

/** The commands, as `--help` lists them and as main.ts declares them to yargs. */
export const COMMAND_LIST = {
  summarize: ['$0 <input>', 'summarize the pages listed in <input> (one URL a line, or a table; - for stdin)'],
  emulator: ['emulator', 'run a local Bedrock Runtime-compatible server for offline development and load tests'],
  demo: ['demo', 'serve the bundled sample pages on 127.0.0.1 and summarize them (offline by default)'],
  bench: ['bench', 'benchmark every strategy and its peers (p-limit, Python) on local workloads; prints a table'],
  tune: ['tune', "sweep --threads and --concurrency, print the best setting and why (Little's law, throttling)"],
  batch: ['batch <action>', 'Bedrock batch inference at half price: run | submit | prepare | status | collect | stop | list | run-local (each with its own --help)'],
  cache: ['cache <action>', 'the cache of model replies and pages across runs: stats | verify | clear'],
} as const

export const USAGE = 'Summarize every web page in a list of URLs, offline or with Amazon Bedrock.'

export const EXAMPLES = [
  ['$0 demo', 'summarize the bundled sample pages, offline: a first run'],
  ['$0 urls.txt > summaries.jsonl', 'offline unless AWS credentials are configured'],
  ['$0 urls.txt --provider bedrock --region us-east-1 --out summaries.csv', 'CSV with Claude 3 Haiku on Bedrock'],
  ['cat urls.txt | $0 - --strategy async --concurrency 32', 'read stdin, async strategy'],
  ['$0 emulator --latency-ms 1500', 'local Bedrock for development'],
] as const

const NAME = 'summarize-urls'
const named = (text: string): string => text.replaceAll('$0', NAME)

/**
 * `summarize-urls --help`, written here from the option tables rather than by yargs: the
 * same sections and facts, without loading yargs, whose layout measures every word with
 * `Intl.Segmenter` (36 ms of a 120 ms `--help`). The commands' own `--help` stay yargs'.
 */
export function rootHelp(table: Table, width: number): string {
  const out: string[] = [...wrap(USAGE, width), '', 'Commands:']
  const commands = Object.values(COMMAND_LIST).map(([name, text]) => [named(name.startsWith('$0') ? name : `$0 ${name}`), text, name.startsWith('$0') ? '[default]' : ''] as const)
  out.push(...columns(commands, width), '', 'Positionals:', ...columns([[INPUT.name, terminalText(INPUT.help), '[string]']], width))
  const groups = new Map<string, Array<[string, string, string]>>()
  for (const [flag, option] of Object.entries(yargsOptions(table))) {
    const label = option.alias === undefined ? `    --${flag}` : `-${String(option.alias)}, --${flag}`
    const tags = `[${String(option.type)}]${option.defaultDescription === undefined ? '' : ` [default: ${option.defaultDescription}]`}`
    const group = option.group ?? 'Options'
    groups.set(group, [...(groups.get(group) ?? []), [label, option.describe ?? '', tags]])
  }
  groups.set('Options', [...(groups.get('Options') ?? []), ['    --version', 'Show version number', '[boolean]'], ['-h, --help', 'Show help', '[boolean]']])
  for (const [group, rows] of groups) out.push('', `${group.replace(/:$/, '')}:`, ...columns(rows, width))
  out.push('', 'Examples:', ...columns(EXAMPLES.map(([command, text]) => [named(command), text] as const), width))
  return out.join('\n')
}

/**
 * Two columns: the names padded to the widest, the texts wrapped to `width` under their
 * column, each followed by its tags (`[string] [default: …]`), which are kept on one line
 * when they fit.
 */
function columns(rows: ReadonlyArray<readonly [string, string, string?]>, width: number): string[] {
  const left = Math.min(Math.max(...rows.map(([name]) => name.length)) + 2, Math.floor(width / 2))
  const room = Math.max(20, width - 2 - left)
  const lines: string[] = []
  for (const [name, text, tags = ''] of rows) {
    const wrapped = wrap(text, room)
    const last = wrapped.at(-1) ?? ''
    if (tags !== '' && last.length + 1 + tags.length <= room) wrapped[Math.max(0, wrapped.length - 1)] = last === '' ? tags : `${last} ${tags}`
    else if (tags !== '') wrapped.push(...(tags.length <= room ? [tags] : wrap(tags, room)))
    const first = name.length + 2 <= left ? `  ${name.padEnd(left)}${wrapped[0] ?? ''}` : `  ${name}`
    lines.push(first.trimEnd())
    for (const line of name.length + 2 <= left ? wrapped.slice(1) : wrapped) lines.push(`  ${' '.repeat(left)}${line}`)
  }
  return lines
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '') lines.push(line)
  return lines
}
