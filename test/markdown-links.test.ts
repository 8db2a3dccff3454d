import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import MarkdownIt from 'markdown-it'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseJsonl, runCli } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

// A renderer nobody here wrote: what a reader's Markdown viewer makes of our output.
const md = new MarkdownIt()

let pages: TestServer
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'summarize-urls-md-links-'))
  pages = await startServer((req, res) => {
    const path = req.url ?? ''
    // A site that redirects to a URL built to close the link early and open its own.
    if (path.startsWith('/redirect')) return void res.writeHead(302, { location: '/ok/b)[Verify your account](http://evil.example/phish?x=1&amp;y=2\\z' }).end()
    if (path.startsWith('/titled')) {
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('kittens').replace(/<title>[^<]*<\/title>/, '<title>Kittens](http://evil.example/t) [more &amp;amp; ~~x~~</title>'))
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(`page ${path}`))
  })
})
afterAll(async () => {
  await pages.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Every link in the rendered Markdown, in order: its href and its text. */
function links(markdown: string): Array<{ href: string; text: string }> {
  const found: Array<{ href: string; text: string }> = []
  for (const block of md.parse(markdown, {})) {
    const children = block.children ?? []
    for (const [i, token] of children.entries()) {
      if (token.type !== 'link_open') continue
      const close = children.findIndex((t, j) => j > i && t.type === 'link_close')
      found.push({ href: String(token.attrGet('href') ?? ''), text: children.slice(i + 1, close).map((t) => t.content).join('') })
    }
  }
  return found
}

describe('Markdown output read by a CommonMark renderer', () => {
  it('gives every page one link whose href is the record\'s own URL, however hostile the URL, its redirect or its title', async () => {
    const input = join(dir, 'urls.txt')
    writeFileSync(
      input,
      [
        `${pages.url}/ok/a)[Verify your account](http://evil.example/phish`,
        `${pages.url}/redirect`,
        `${pages.url}/ok/c?q=<b>&amp;x=\\y`,
        `${pages.url}/titled`,
        `${pages.url}/plain`,
      ].join('\n'),
    )
    const jsonl = await runCli([input, '--provider', 'extractive', '--quiet'])
    const records = parseJsonl(jsonl.stdout)
    expect(records.map((r) => r['status'])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
    expect(records[1]!['finalUrl']).toContain(')[Verify%20your%20account](http://evil.example/phish?x=1&amp;y=2')

    const out = join(dir, 'out.md')
    expect((await runCli([input, '--provider', 'extractive', '--quiet', '-o', out])).code).toBe(0)
    const rendered = links(readFileSync(out, 'utf8'))

    expect(rendered).toHaveLength(records.length)
    for (const [i, link] of rendered.entries()) {
      const target = String(records[i]!['finalUrl'])
      // The same URL once percent-escapes are read: we encode ( ) < > \\ and spaces, markdown-it
      // (mdurl) what else a destination may not hold raw; nothing else changes.
      expect(decodeURI(link.href), `line ${i + 1}`).toBe(decodeURI(target))
      expect(link.href).toBe(md.normalizeLink(target.replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'))))
      expect(new URL(link.href).host).toBe(new URL(pages.url).host)
      expect(link.text).toBe(records[i]!['title'])
    }
    expect(md.render(readFileSync(out, 'utf8'))).not.toContain('href="http://evil.example')
  })
})
