import { describe, expect, it } from 'vitest'
import { loadedModules, staticGraph } from './helpers/loaded-modules.js'

/** Packages a command loads only when it needs them: each costs start-up time. */
const AT_THE_EDGE = ['@aws-sdk/', 'piscina', 'cli-progress', 'undici', 'linkedom', '@mozilla/readability', 'htmlparser2']
const loaded = (urls: string[], name: string): boolean => urls.some((url) => url.includes(`/node_modules/${name}`))

describe('start-up pays only for what runs', () => {
  it('--version and --help load no SDK, pool, progress bar, HTTP client or DOM', async () => {
    for (const args of [['--version'], ['--help']]) {
      const urls = await loadedModules(args)
      expect(urls.some((url) => url.endsWith('/src/cli/main.ts'))).toBe(true)
      expect(AT_THE_EDGE.filter((name) => loaded(urls, name))).toEqual([])
    }
  })

  it('an offline run on a pipe loads neither the AWS SDK, nor piscina while its main thread is idle, nor the progress bar', async () => {
    const urls = await loadedModules(['-', '--provider', 'extractive'], 'http://127.0.0.1:9/nothing-listens\n')
    expect(loaded(urls, 'undici')).toBe(true)
    expect(['@aws-sdk/', 'piscina', 'cli-progress'].filter((name) => loaded(urls, name))).toEqual([])
  })

  it('a pool thread imports no AWS SDK: model calls stay on the main thread', () => {
    const { packages } = staticGraph('workers/analyze.ts')
    expect([...packages].filter((name) => name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name === 'piscina')).toEqual([])
  })
})
