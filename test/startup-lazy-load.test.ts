import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CORPUS_DIR, corpusPageNames } from './helpers/corpus.js'
import { loadedModules, staticGraph } from './helpers/loaded-modules.js'
import { startServer } from './helpers/servers.js'

/** Packages a command loads only when it needs them: each costs start-up time. */
const AT_THE_EDGE = ['@aws-sdk/', 'piscina', 'undici', 'linkedom', '@mozilla/readability', 'htmlparser2']
const loaded = (urls: string[], name: string): boolean => urls.some((url) => url.includes(`/node_modules/${name}`))

describe('start-up pays only for what runs', () => {
  it('--version and --help load no SDK, pool, progress bar, HTTP client or DOM, and not even yargs', async () => {
    for (const args of [['--version'], ['--help'], ['-h']]) {
      const urls = await loadedModules(args)
      expect(urls.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true)
      expect([...AT_THE_EDGE, 'yargs'].filter((name) => loaded(urls, name))).toEqual([])
    }
    // Any other command line is yargs' to parse, its --help included.
    expect(loaded(await loadedModules(['emulator', '--help']), 'yargs')).toBe(true)
  })

  it('an offline run on a pipe loads neither the AWS SDK, nor piscina while its main thread is idle', async () => {
    const urls = await loadedModules(['-', '--provider', 'extractive'], 'http://127.0.0.1:9/nothing-listens\n')
    expect(loaded(urls, 'undici')).toBe(true)
    expect(['@aws-sdk/', 'piscina'].filter((name) => loaded(urls, name))).toEqual([])
  })

  it('a short offline run from a list file starts no thread: its 40 corpus pages would not repay them', async () => {
    const server = await startServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice(1).split('?')[0] as string)
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(readFileSync(join(CORPUS_DIR, name, 'source.html')))
    })
    try {
      const dir = mkdtempSync(join(tmpdir(), 'su-short-run-'))
      const list = join(dir, 'urls.txt')
      writeFileSync(list, corpusPageNames().slice(0, 40).map((name) => `${server.url}/${encodeURIComponent(name)}\n`).join(''))
      const urls = await loadedModules([list, '--provider', 'extractive', '--concurrency', '16', '-q', '-o', join(dir, 'out.jsonl')])
      expect(loaded(urls, '@mozilla/readability')).toBe(true)
      expect(loaded(urls, 'piscina')).toBe(false)
    } finally {
      await server.close()
    }
  }, 60_000)

  it('a pool thread imports no AWS SDK: model calls stay on the main thread', () => {
    const { packages } = staticGraph('workers/analyze.ts')
    expect([...packages].filter((name) => name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name === 'piscina')).toEqual([])
  })

  it("a pool thread loads iso-639-3's code mapping, not the package index that also builds its table of every language", () => {
    const { specifiers } = staticGraph('workers/analyze.ts')
    expect([...specifiers].filter((specifier) => specifier.startsWith('iso-639-3'))).toEqual(['iso-639-3/iso6393-to-1.js'])
  })
})
