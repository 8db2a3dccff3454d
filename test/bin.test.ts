import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseJsonl } from './helpers/cli.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

// The built bin is what users run: compiled JavaScript, with the compiled worker file.
beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: root })
}, 120_000)

describe('the built summarize-urls bin', () => {
  it('runs the demo offline: every sample page summarized, exit code 0', async () => {
    const { stdout, stderr } = await run(process.execPath, [bin, 'demo', '--quiet'], { cwd: root })
    const records = parseJsonl(stdout)
    expect(records.length).toBeGreaterThanOrEqual(6)
    expect(records.every((r) => r['status'] === 'ok' && r['provider'] === 'extractive')).toBe(true)
    // The Shift_JIS and EUC-JP sample pages come out as Japanese, not mojibake.
    const japanese = records.filter((r) => r['lang'] === 'ja')
    expect(japanese).toHaveLength(2)
    for (const r of japanese) expect(r['summary']).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/)
    expect(stderr).toBe('')
  })

  it('serves the emulator, which the bin then uses through the real SDK on a worker pool, and stops on SIGTERM', async () => {
    const emulator = spawn(process.execPath, [bin, 'emulator', '--latency-ms', '20', '--jitter-ms', '10'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const [first] = (await once(createInterface({ input: emulator.stdout }), 'line')) as [string]
      expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
      const url = first.replace('listening on ', '')
      const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url }
      const { stdout } = await run(process.execPath, [bin, 'demo', '--provider', 'bedrock', '--strategy', 'pool', '--threads', '2', '--quiet'], { cwd: root, env })
      const records = parseJsonl(stdout)
      expect(records.length).toBeGreaterThanOrEqual(6)
      for (const r of records) {
        expect(r).toMatchObject({ status: 'ok', provider: 'bedrock', model: 'anthropic.claude-3-haiku-20240307-v1:0' })
        expect((r['usage'] as { outputTokens: number }).outputTokens).toBeGreaterThan(0)
      }
    } finally {
      emulator.kill('SIGTERM')
    }
    const [code] = (await once(emulator, 'exit')) as [number | null]
    expect(code).toBe(0)
  })
})
