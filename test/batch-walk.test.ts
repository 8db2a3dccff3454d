import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunningEmulator } from '../src/emulator/server.js'
import { ROLE, useBatchWorld } from './helpers/batch.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { volumePageNames } from './helpers/corpus.js'
import { articlePage, startServer } from './helpers/servers.js'

// The batch path as a new user walks it: a small list prepared and run locally, then a job
// that fails, its cause on screen, and the same command again resubmitting it.
const { moto, pages, dir, emulator } = useBatchWorld()

/** `count` corpus pages, each URL distinct, and one line that is not a URL (line 3). */
function urlList(name: string, count: number): { path: string; urls: string[] } {
  const names = volumePageNames()
  const urls = Array.from({ length: count }, (_, i) => `${pages().url}/${names[i % names.length]}/source.html?n=${i}`)
  const lines = [...urls.slice(0, 2), 'not a url', ...urls.slice(2)]
  const path = join(dir(), `${name}.txt`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return { path, urls: lines }
}

describe('the batch path end to end, as a new user walks it', () => {
  it('prepare → run-local → collect keeps every URL, with no AWS settings before run-local', async () => {
    const { path, urls } = urlList('walk', 12)
    const records = join(dir(), 'records.jsonl')
    const prepared = await runCli(['batch', 'prepare', path, '-o', records, '--threads', '1'])
    expect(prepared.code).toBe(0)
    expect(prepared.stdout).toBe(`${records}\n`)
    expect(prepared.stderr).toContain('12 records in')
    expect(prepared.stderr).toContain(`batch run-local ${records} --out-dir DIR`)
    expect(readFileSync(records, 'utf8').trim().split('\n')).toHaveLength(12)

    const emu = await emulator()
    const outDir = join(dir(), 'walk-out')
    const local = await runCli(['batch', 'run-local', records, '--out-dir', outDir, '--endpoint-url', emu.url])
    expect(local.code).toBe(0)
    expect(local.stderr).toContain(`batch collect ${records}.batch.json`)
    const outputs = parseJsonl(readFileSync(join(outDir, 'records.jsonl.out'), 'utf8'))
    expect(outputs).toHaveLength(12)
    expect(new Set(outputs.map((o) => o['url']))).toEqual(new Set(urls.filter((u) => u !== 'not a url')))

    const summaries = join(dir(), 'walk.jsonl')
    const collected = await runCli(['batch', 'collect', `${records}.batch.json`, '-o', summaries])
    expect(collected.code).toBe(1)
    const out = parseJsonl(readFileSync(summaries, 'utf8'))
    expect(out.map((r) => r['url'])).toEqual(urls)
    expect(out.map((r) => r['status'])).toEqual(urls.map((u) => (u === 'not a url' ? 'error' : 'ok')))
    expect(out[2]?.['error']).toMatchObject({ code: 'INVALID_URL' })
  }, 120_000)

  it("a page refused at prepare gets a hint that works after batch: the online job resumes from the collected output and redoes only that line", async () => {
    // A site that refuses the first request for /refused (403) and answers it later.
    let refusedOnce = false
    const site = await startServer((req, res) => {
      if (req.url === '/refused' && !refusedOnce) {
        refusedOnce = true
        res.writeHead(403).end('no')
        return
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${req.url ?? '/'}`))
    })
    try {
      const urls = [`${site.url}/a`, `${site.url}/refused`, `${site.url}/b`]
      const list = join(dir(), 'refused.txt')
      writeFileSync(list, `${urls.join('\n')}\n`)
      const records = join(dir(), 'refused.jsonl')
      expect((await runCli(['batch', 'prepare', list, '-o', records, '--threads', '1'])).code).toBe(0)
      const emu = await emulator()
      expect((await runCli(['batch', 'run-local', records, '--out-dir', join(dir(), 'refused-out'), '--endpoint-url', emu.url])).code).toBe(0)
      const collected = join(dir(), 'refused-summaries.jsonl')
      expect((await runCli(['batch', 'collect', `${records}.batch.json`, '-o', collected])).code).toBe(1)
      const before = parseJsonl(readFileSync(collected, 'utf8'))
      const refused = before[1]?.['error'] as { code: string; hint: string }
      expect(refused.code).toBe('HTTP_STATUS')
      // Batch has no --resume: the hint names the online job that has.
      expect(refused.hint).toContain('`summarize-urls LIST --out OUTPUT --resume`')
      const resumed = await runCli([list, '--out', collected, '--resume', '--provider', 'extractive'])
      expect(resumed.code).toBe(0)
      const after = parseJsonl(readFileSync(collected, 'utf8'))
      expect(after.map((r) => r['status'])).toEqual(['ok', 'ok', 'ok'])
      // The two pages batch summarized are kept as they were, not paid for again.
      expect(after[0]).toEqual(before[0])
      expect(after[2]).toEqual(before[2])
      expect(after[1]?.['provider']).toBe('extractive')
    } finally {
      await site.close()
    }
  }, 120_000)

  it('run-local with no credentials stops before the first record, in one line, exit 2', async () => {
    const { path } = urlList('nocreds', 3)
    const records = join(dir(), 'nocreds.jsonl')
    expect((await runCli(['batch', 'prepare', path, '-o', records, '--threads', '1'])).code).toBe(0)
    const emu = await emulator()
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] }
    delete process.env['AWS_ACCESS_KEY_ID']
    delete process.env['AWS_SECRET_ACCESS_KEY']
    try {
      const outDir = join(dir(), 'nocreds-out')
      const local = await runCli(['batch', 'run-local', records, '--out-dir', outDir, '--endpoint-url', emu.url])
      expect(local.code).toBe(2)
      expect(local.stderr.trim().split('\n')).toHaveLength(1)
      expect(local.stderr).toMatch(/batch run-local: no AWS credentials could be resolved \(\w+\); set them as for the AWS CLI/)
      // No output with an error on every line for `collect` to pick up as if it had run.
      expect(existsSync(join(outDir, 'nocreds.jsonl.out'))).toBe(false)
    } finally {
      if (saved.id !== undefined) process.env['AWS_ACCESS_KEY_ID'] = saved.id
      if (saved.secret !== undefined) process.env['AWS_SECRET_ACCESS_KEY'] = saved.secret
    }
  }, 120_000)

  it('collect on a prepared file before run-local says which command makes its outputs', async () => {
    const { path } = urlList('early', 3)
    const records = join(dir(), 'early.jsonl')
    expect((await runCli(['batch', 'prepare', path, '-o', records, '--threads', '1', '--quiet'])).code).toBe(0)
    const early = await runCli(['batch', 'collect', `${records}.batch.json`])
    expect(early.code).toBe(2)
    expect(early.stderr).toContain('run `summarize-urls batch run-local early.jsonl --out-dir DIR` first')
  }, 60_000)

  it("a failed job's cause is on screen (collect and status), and the same command again resubmits it", async () => {
    // Minimum 50, so a page a busy machine fails to fetch in time cannot drop the run under it.
    const failing = await emulator({ batchOutcome: 'failed', batchMinRecords: 50 })
    const { path } = urlList('failing', 100)
    const out = join(dir(), 'failing.jsonl')
    const args = (emu: RunningEmulator) => ['--s3', 's3://batch/failing/', '--role-arn', ROLE, '--endpoint-url', emu.url, '--s3-endpoint-url', moto.url, '--poll-interval', '0.05', '--threads', '2', '--min-records', '50', '--quiet']
    const first = await runCli(['batch', 'run', path, '-o', out, ...args(failing)])
    expect(first.code, first.stderr).toBe(1)
    expect(first.stderr).toMatch(/job summarize-urls-\w+-000 ended Failed: Internal Server Exception: the batch inference job failed/)
    const status = await runCli(['batch', 'status', `${out}.batch.json`, ...args(failing)])
    expect(status.stdout).toMatch(/ended Failed: Internal Server Exception/)
    // The header counts what the job processed, as its row does: none, not its records.
    expect(status.stdout).toMatch(/jobs: 1 Failed; records 0\/\d+/)
    const before = JSON.parse(readFileSync(`${out}.batch.json`, 'utf8')) as { jobs: Array<{ clientRequestToken: string }> }

    const healthy = await emulator({ batchMinRecords: 50 })
    const again = await runCli(['batch', 'run', path, '-o', out, ...args(healthy)])
    expect(again.stderr).toMatch(/job summarize-urls-\w+-000 ended Failed \(Internal Server Exception[^)]*\): submitting it again as a new job, with a new clientRequestToken/)
    expect(again.code).toBe(1) // the line that is not a URL
    expect(healthy.batchJobsCreated()).toBe(1)
    const after = JSON.parse(readFileSync(`${out}.batch.json`, 'utf8')) as { records: number; jobs: Array<{ clientRequestToken: string; status: string }> }
    expect(after.jobs[0]?.clientRequestToken).not.toBe(before.jobs[0]?.clientRequestToken)
    expect(after.jobs[0]?.status).toBe('Completed')
    const records = parseJsonl(readFileSync(out, 'utf8'))
    expect(after.records).toBeGreaterThanOrEqual(50)
    expect(records.filter((r) => r['status'] === 'ok')).toHaveLength(after.records)
    expect(existsSync(`${out}.batch.json`)).toBe(true)
  }, 180_000)
})

describe('each batch action has its own --help', () => {
  it.each(['run', 'submit', 'prepare', 'status', 'collect', 'stop', 'list', 'run-local'])('batch %s --help names the action and only its flags', async (action) => {
    const { code, stdout } = await runCli(['batch', action, '--help'])
    expect(code).toBe(0)
    expect(stdout.startsWith(`summarize-urls batch ${action}`)).toBe(true)
    expect(stdout).not.toBe((await runCli(['batch', '--help'])).stdout)
    expect(stdout.includes('--out-dir')).toBe(action === 'run-local')
  })
})
