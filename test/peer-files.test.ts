import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileBoard, quotaKey } from '../src/control/peer-files.js'
import { quotaKeyOf } from '../src/summarizers/quota-key.js'

// The board runs on one machine post their learned rate on (src/control/peer-files.ts), on a
// real folder: what one run posts, another with the same quota reads; nothing else does.

const folder = (): string => join(mkdtempSync(join(tmpdir(), 'su-peers-')), 'peers')

describe('the peer board in a folder', () => {
  it('shows each run the notes of the others sharing its quota, and only theirs', () => {
    const dir = folder()
    const a = new FileBoard(dir, 'k1')
    const b = new FileBoard(dir, 'k1')
    const other = new FileBoard(dir, 'k2')
    expect(a.exchange({ id: 'a', quota: 4, learnedAt: 100, testing: false })).toEqual([])
    other.exchange({ id: 'x', quota: 99, learnedAt: 500 })
    expect(b.exchange({ id: 'b', quota: undefined, learnedAt: 0, testing: true })).toEqual([{ id: 'a', quota: 4, learnedAt: 100, testing: false }])
    expect(a.exchange({ id: 'a', quota: 4, learnedAt: 100 })).toEqual([{ id: 'b', quota: undefined, learnedAt: 0, testing: true }])
    // A run that ends takes its note down.
    b.leave('b')
    expect(a.exchange({ id: 'a', quota: 4, learnedAt: 100 })).toEqual([])
    // Readable by its owner only: another user's run cannot read or forge the notes.
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600)
  })

  it('drops the note of a run that stopped posting or whose process is gone', () => {
    const dir = folder()
    const board = new FileBoard(dir, 'k')
    board.exchange({ id: 'me', quota: undefined, learnedAt: 0 })
    // A process that has exited: its pid is free (a child that ran and was reaped).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
    writeFileSync(join(dir, 'k.dead.json'), JSON.stringify({ id: 'dead', pid: Number(gone), postedAt: Date.now(), learnedAt: 1, quota: 8 }))
    // This process, but silent for 10 s: it hangs or has ended without leaving.
    writeFileSync(join(dir, 'k.stale.json'), JSON.stringify({ id: 'stale', pid: process.pid, postedAt: Date.now() - 10_000, learnedAt: 1, quota: 8 }))
    // Not a note at all.
    writeFileSync(join(dir, 'k.junk.json'), '{"id": 3')
    expect(board.exchange({ id: 'me', quota: undefined, learnedAt: 0 })).toEqual([])
    expect(readdirSync(dir).sort()).toEqual(['k.junk.json', 'k.me.json', 'k.stale.json'])
    // Silent for over a minute: removed.
    writeFileSync(join(dir, 'k.stale.json'), JSON.stringify({ id: 'stale', pid: process.pid, postedAt: Date.now() - 120_000, learnedAt: 1, quota: 8 }))
    board.exchange({ id: 'me', quota: undefined, learnedAt: 0 })
    expect(readdirSync(dir).sort()).toEqual(['k.junk.json', 'k.me.json'])
  })

  it('leaves a run on its own, without an error, when the folder cannot be used', () => {
    const parent = mkdtempSync(join(tmpdir(), 'su-peers-'))
    const blocked = join(parent, 'peers')
    writeFileSync(blocked, 'a file where the folder should be')
    const board = new FileBoard(blocked, 'k')
    expect(board.exchange({ id: 'me', quota: 4, learnedAt: 1 })).toEqual([])
    expect(() => board.leave('me')).not.toThrow()
    expect(readFileSync(blocked, 'utf8')).toBe('a file where the folder should be')
  })
})

describe('the quota a run shares', () => {
  const bedrock = (over: Record<string, string | undefined> = {}) => ({ provider: 'bedrock' as const, settings: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'us-east-1', endpoint: undefined, profile: undefined, ...over } })
  const env = { AWS_PROFILE: 'team' }

  it('is one per account, region and model: runs differing in any of them do not share', () => {
    const base = quotaKeyOf(bedrock() as never, env)
    expect(quotaKeyOf(bedrock() as never, env)).toBe(base)
    expect(quotaKeyOf(bedrock({ region: 'eu-west-1' }) as never, env)).not.toBe(base)
    expect(quotaKeyOf(bedrock({ modelId: 'amazon.nova-micro-v1:0' }) as never, env)).not.toBe(base)
    expect(quotaKeyOf(bedrock({ profile: 'other' }) as never, env)).not.toBe(base)
    expect(quotaKeyOf(bedrock() as never, { AWS_PROFILE: 'other' })).not.toBe(base)
    expect(quotaKeyOf({ provider: 'extractive' })).toBeUndefined()
  })

  it('names an OpenAI key by a hash, never in the clear', () => {
    const secret = 'sk-test-not-a-real-key-0123456789'
    const key = quotaKeyOf({ provider: 'openai', settings: { model: 'gpt-4o-mini', baseURL: 'http://127.0.0.1:9/v1', apiKey: secret } } as never)
    expect(key).toMatch(/^[0-9a-f]{16}$/)
    expect(key).not.toBe(quotaKeyOf({ provider: 'openai', settings: { model: 'gpt-4o-mini', baseURL: 'http://127.0.0.1:9/v1', apiKey: `${secret}x` } } as never))
    const dir = folder()
    new FileBoard(dir, key!).exchange({ id: 'me', quota: 4, learnedAt: 1 })
    for (const name of readdirSync(dir)) {
      expect(name).not.toContain(secret.slice(3, 12))
      expect(readFileSync(join(dir, name), 'utf8')).not.toContain(secret.slice(3, 12))
    }
    expect(quotaKey(['a', 'b'])).not.toBe(quotaKey(['ab', '']))
  })
})

describe('the peer board against what else lies in its folder', () => {
  it('skips a FIFO, a symlink, a device and an outsized file without blocking or reading them', () => {
    const dir = folder()
    const board = new FileBoard(dir, 'k')
    board.exchange({ id: 'me', quota: undefined, learnedAt: 0 })
    // A FIFO nobody writes to would block a plain read forever, and /dev/zero never ends.
    expect(spawnSync('mkfifo', [join(dir, 'k.fifo.json')]).status).toBe(0)
    symlinkSync('/dev/zero', join(dir, 'k.zero.json'))
    const real = JSON.stringify({ id: 'linked', pid: process.pid, postedAt: Date.now(), learnedAt: 1, quota: 8 })
    writeFileSync(join(dir, 'elsewhere.txt'), real)
    symlinkSync(join(dir, 'elsewhere.txt'), join(dir, 'k.linked.json'))
    writeFileSync(join(dir, 'k.huge.json'), `{"id":"huge","pid":${process.pid},"postedAt":${Date.now()},"learnedAt":1,"quota":8,"pad":"${'x'.repeat(1 << 20)}"}`)
    writeFileSync(join(dir, 'k.ok.json'), JSON.stringify({ id: 'ok', pid: process.pid, postedAt: Date.now(), learnedAt: 1, quota: 8 }))
    expect(board.exchange({ id: 'me', quota: undefined, learnedAt: 0 })).toEqual([{ id: 'ok', quota: 8, learnedAt: 1, testing: false }])
  })

  it('does not write its note through a symlink left where its note is written', () => {
    const dir = folder()
    const board = new FileBoard(dir, 'k')
    board.exchange({ id: 'me', quota: 4, learnedAt: 1 })
    const victim = join(dir, '..', 'precious.txt')
    writeFileSync(victim, 'precious')
    symlinkSync(victim, join(dir, 'k.me.json.tmp'))
    board.exchange({ id: 'me', quota: 5, learnedAt: 2 })
    expect(readFileSync(victim, 'utf8')).toBe('precious')
    expect(JSON.parse(readFileSync(join(dir, 'k.me.json'), 'utf8'))).toMatchObject({ quota: 5 })
  })

  it('counts no note posted ahead of its clock, nor one of junk numbers, and removes one far ahead', () => {
    const dir = folder()
    const board = new FileBoard(dir, 'k')
    const note = (id: string, over: Record<string, unknown>) => writeFileSync(join(dir, `k.${id}.json`), JSON.stringify({ id, pid: process.pid, postedAt: Date.now(), learnedAt: 1, quota: 8, ...over }))
    // Posted "in a year" by a process that never ends (pid 1): it would count forever.
    note('ahead', { pid: 1, postedAt: Date.now() + 365 * 24 * 3600 * 1000, quota: 1e-9 })
    note('soon', { postedAt: Date.now() + 30_000 })
    note('group', { pid: 0 }) // kill(0) signals our own process group: always "alive"
    note('huge', { quota: 1e300 })
    note('text', { quota: '8', learnedAt: 'yesterday' })
    note('null', { quota: null })
    writeFileSync(join(dir, 'k.array.json'), '[1, 2]')
    writeFileSync(join(dir, 'k.nothing.json'), 'null')
    const others = board.exchange({ id: 'me', quota: undefined, learnedAt: 0 }).sort((a, b) => a.id.localeCompare(b.id))
    expect(others).toEqual([
      { id: 'huge', quota: undefined, learnedAt: 1, testing: false },
      { id: 'null', quota: undefined, learnedAt: 1, testing: false },
    ])
    expect(readdirSync(dir)).not.toContain('k.ahead.json')
    expect(readdirSync(dir)).toContain('k.soon.json')
  })

  it('is not used when the folder was there already and others may write in it', () => {
    const dir = folder()
    mkdirSync(dir, { mode: 0o777 })
    chmodSync(dir, 0o777)
    writeFileSync(join(dir, 'k.forged.json'), JSON.stringify({ id: 'forged', pid: process.pid, postedAt: Date.now(), learnedAt: 1, quota: 0.01 }))
    const board = new FileBoard(dir, 'k')
    expect(board.exchange({ id: 'me', quota: 4, learnedAt: 1 })).toEqual([])
    expect(readdirSync(dir)).toEqual(['k.forged.json'])
  })
})
