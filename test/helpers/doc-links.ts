import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import MarkdownIt from 'markdown-it'

// A renderer nobody here wrote reads the docs, so a link inside a code block is no link and a
// `# comment` in a shell block is no heading, exactly as a reader's viewer has it.
const md = new MarkdownIt({ html: true })

interface Token {
  type: string
  tag: string
  content: string
  attrGet(name: string): string | null
  children: Token[] | null
}

/**
 * GitHub's anchor for a heading's text (as github-slugger makes it): lower case, every
 * character that is not a letter, mark, number, connector, space or hyphen dropped, spaces to
 * hyphens; a repeated anchor gets `-1`, `-2`, ... in the order the headings come.
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  const tokens = md.parse(text, {}) as Token[]
  tokens.forEach((token, at) => {
    if (token.type === 'heading_open') {
      const inline = tokens[at + 1]?.children ?? []
      const words = inline.filter((child) => child.type === 'text' || child.type === 'code_inline').map((child) => child.content).join('')
      const base = words.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replaceAll(' ', '-')
      let slug = base
      while (seen.has(slug)) {
        const n = (seen.get(base) ?? 0) + 1
        seen.set(base, n)
        slug = `${base}-${n}`
      }
      seen.set(slug, 0)
      anchors.add(slug)
    }
    // Explicit anchors in raw HTML: <a id="x"></a> or <a name="x">.
    if (token.type === 'html_block' || token.type === 'html_inline' || token.type === 'inline') {
      for (const match of token.content.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!)
    }
  })
  return anchors
}

/** Every link and image target in the text, as written (after Markdown's own normalization). */
export function linkTargets(text: string): string[] {
  const targets: string[] = []
  const walk = (tokens: Token[]): void => {
    for (const token of tokens) {
      if (token.type === 'link_open') targets.push(token.attrGet('href') ?? '')
      if (token.type === 'image') targets.push(token.attrGet('src') ?? '')
      if (token.children !== null) walk(token.children)
    }
  }
  walk(md.parse(text, {}) as Token[])
  return targets
}

/**
 * The relative links and `#anchors` of the doc files (path relative to `root` → text) that do
 * not resolve: a file that does not exist, or an anchor no heading of the target file makes.
 * Links with a scheme (`https:`, `mailto:`) are not followed.
 */
export function brokenLinks(root: string, docs: ReadonlyMap<string, string>): string[] {
  const anchorsOf = new Map<string, Set<string>>()
  const anchors = (path: string, text: string): Set<string> => {
    if (!anchorsOf.has(path)) anchorsOf.set(path, headingAnchors(text))
    return anchorsOf.get(path)!
  }
  const broken: string[] = []
  for (const [from, text] of docs) {
    for (const target of linkTargets(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
      const hash = target.indexOf('#')
      const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash))
      const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1))
      const to = pathPart === '' ? from : normalize(join(dirname(from), pathPart.split('?')[0]!))
      const onDisk = join(root, to)
      if (pathPart !== '' && (to.startsWith('..') || !existsSync(onDisk))) {
        broken.push(`${from}: ${target}: no file ${to}`)
        continue
      }
      if (anchor === undefined || anchor === '') continue
      if (!to.endsWith('.md') || statSync(onDisk).isDirectory()) {
        broken.push(`${from}: ${target}: an anchor into ${to}, which is not a Markdown file`)
        continue
      }
      const targetText = docs.get(to) ?? readFileSync(onDisk, 'utf8')
      if (!anchors(to, targetText).has(anchor)) broken.push(`${from}: ${target}: no heading in ${to} makes #${anchor}`)
    }
  }
  return broken
}

