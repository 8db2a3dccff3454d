import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { docPaths, readDocs, ROOT } from '../scripts/doc-files.js'
import { brokenLinks, headingAnchors } from './helpers/doc-links.js'

const scratch = mkdtempSync(join(tmpdir(), 'summarize-urls-doc-links-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('links in README.md, CONTRIBUTING.md and docs/*.md', () => {
  it('cover the short README (at most 300 lines), CONTRIBUTING.md and a docs/ folder', () => {
    const paths = docPaths()
    const newlines = readDocs().get('README.md')!.match(/\n/g)?.length ?? 0 // as `wc -l` counts
    expect(newlines).toBeLessThanOrEqual(300)
    expect(paths).toContain('README.md')
    expect(paths).toContain('CONTRIBUTING.md')
    expect(paths.filter((path) => path.startsWith('docs/')).length).toBeGreaterThan(0)
  })

  it('all resolve: every relative file exists and every #anchor is a heading of its file', () => {
    expect(brokenLinks(ROOT, readDocs())).toEqual([])
  })

  it('make anchors as GitHub does: code kept without backticks, punctuation dropped, repeats numbered', () => {
    const text = ['# Half price: batch inference', '## Online or batch: `--mode`', '## Cache', '## Cache', '```sh', '# not a heading', '```', '<a id="kept"></a>'].join('\n')
    expect([...headingAnchors(text)]).toEqual(['half-price-batch-inference', 'online-or-batch---mode', 'cache', 'cache-1', 'kept'])
  })

  it('find a missing file, a missing anchor and an anchor in another file', () => {
    mkdirSync(join(scratch, 'docs'), { recursive: true })
    writeFileSync(join(scratch, 'docs', 'a.md'), '# A\n\n## Known heading\n')
    const docs = new Map([
      ['README.md', '[ok](docs/a.md#known-heading) [gone](docs/b.md) [no anchor](docs/a.md#unknown) [here](#nowhere) [web](https://example.com/#x)\n\n```\n[in code](missing.md)\n```\n'],
      ['docs/a.md', '# A\n\n## Known heading\n\n[back](../README.md) [up and out](../../outside.md)\n'],
    ])
    writeFileSync(join(scratch, 'README.md'), docs.get('README.md')!)
    expect(brokenLinks(scratch, docs)).toEqual([
      'README.md: docs/b.md: no file docs/b.md',
      'README.md: docs/a.md#unknown: no heading in docs/a.md makes #unknown',
      'README.md: #nowhere: no heading in README.md makes #nowhere',
      'docs/a.md: ../../outside.md: no file ../outside.md',
    ])
  })
})
