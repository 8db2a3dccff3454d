import { existsSync, readdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { SummarizeOptions } from '../options.js'
import { DEMO_OPTIONS } from '../options/demo.js'
import type { CliIO } from './io.js'
import { runJob, type OutputChoice } from './job.js'
import { serveDirectory } from './static-server.js'

/** samples/pages from src/cli (running from source) or dist/src/cli (built). */
function samplesDir(): string {
  for (const up of ['../../samples/pages/', '../../../samples/pages/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url))
    if (existsSync(dir)) return dir
  }
  throw new Error('samples/pages not found beside the package')
}

/**
 * `summarize-urls demo`: serves the bundled sample pages (English, French, German, a
 * Shift_JIS and an EUC-JP Japanese page, a text file) on 127.0.0.1 and summarizes them with
 * the normal pipeline. Offline by default; `--provider bedrock` or `auto` work too.
 */
export async function runDemo(options: SummarizeOptions, choice: OutputChoice, io: CliIO): Promise<number> {
  const dir = samplesDir()
  const pages = readdirSync(dir).filter((name) => /\.(html|txt)$/.test(name)).sort()
  const server = await serveDirectory(dir)
  try {
    if (!choice.quiet) io.stderr.write(`demo: serving ${pages.length} sample pages at ${server.url}/\n`)
    const list = pages.map((name) => `${server.url}/${name}`).join('\n')
    // Offline unless asked otherwise: a demo should never bill anyone's AWS account.
    return await runJob(Readable.from([list]), { provider: DEMO_OPTIONS.provider.default, ...options }, choice, io)
  } finally {
    await server.close()
  }
}
