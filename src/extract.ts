import { Readability } from '@mozilla/readability'
import { parseHTML } from 'linkedom'
import { detectLanguage, normalizeLangTag } from './language.js'

export interface ExtractedPage {
  /** Page title, whitespace collapsed, or '' when the page has none. */
  title: string
  /** BCP 47 language tag from the markup, else detected from the text, else ''. */
  lang: string
  /** `lang` came from the markup rather than from detection. */
  langDeclared: boolean
  /** Main text, whitespace collapsed; '' when the page has no readable text. */
  text: string
}

export interface ExtractOptions {
  /** The page's final URL (after redirects): relative links in the page resolve against it. */
  url: string
  contentType: 'text/html' | 'text/plain'
}

/** Longest title taken from the first line of a text/plain page, in UTF-16 code units. */
const MAX_PLAIN_TITLE_CHARS = 200

/** Every Unicode white space (`\s`: includes NBSP, U+3000 ideographic space, U+FEFF). */
const WHITESPACE = /\s+/g

/** Turns every run of white space into one ASCII space and trims the ends. */
export function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE, ' ').trim()
}

/**
 * Main text, title and language of a page. HTML goes through Readability (on linkedom);
 * when Readability finds no article, the whole visible body text is used instead.
 */
export function extractPage(source: string, options: ExtractOptions): ExtractedPage {
  if (options.contentType === 'text/plain') return extractPlainText(source)

  const document = parseDocument(source, options.url)
  // Read before Readability runs: it rewrites the document and can even detach <html>.
  const markup = readMarkupMetadata(document)

  // Readability's cost grows much faster than the page on deep nesting (depth 1,000 takes
  // seconds, 20,000 hours); such pages, never real articles, get the plain body text.
  const article = fitsReadability(document) ? runReadability(document) : undefined
  let text = article === undefined ? '' : visibleText(article.content)
  if (text === '') text = visibleText(parseDocument(source, options.url).body)

  const title = [article?.title, markup.title, markup.ogTitle].map((t) => collapseWhitespace(t ?? '')).find((t) => t !== '') ?? ''
  const lang = markup.lang || detectLanguage(text || title)
  return { title, lang, langDeclared: markup.lang !== '', text }
}

function extractPlainText(source: string): ExtractedPage {
  const firstLine = /\S[^\n\r]*/.exec(source)?.[0] ?? ''
  const text = collapseWhitespace(source)
  return { title: truncate(collapseWhitespace(firstLine), MAX_PLAIN_TITLE_CHARS), lang: detectLanguage(text), langDeclared: false, text }
}

/**
 * The few DOM members this module uses. linkedom's declarations are typed against the DOM
 * lib, which this Node project does not load, so its documents arrive as `any`.
 */
interface DomNode {
  readonly nodeType: number
  readonly childNodes: ArrayLike<DomNode>
  readonly localName?: string
  readonly data?: string
  remove(): void
}
interface DomElement extends DomNode {
  readonly localName: string
  readonly textContent: string | null
  getAttribute(name: string): string | null
  prepend(...nodes: DomNode[]): void
  append(...nodes: DomNode[]): void
  getElementsByTagName(name: string): ArrayLike<DomElement>
}
interface DomDocument {
  readonly documentElement: DomElement | null
  readonly head: DomElement
  readonly body: DomElement
  createElement(name: string): DomElement
  getElementsByTagName(name: string): ArrayLike<DomElement>
}

const ELEMENT_NODE = 1
const TEXT_NODE = 3

function parseDocument(source: string, url: string): DomDocument {
  // linkedom reads `location` from these globals for `document.baseURI`.
  const globals = { location: { href: url } }
  let document = parseHTML(source, globals).document as DomDocument
  if (document.documentElement?.localName !== 'html') {
    // A fragment, or junk before <html>: linkedom would make the first element (or
    // nothing) the root, and Readability refuses a document without a root.
    const withoutDoctype = source.replace(/^\s*<!doctype[^>]*>/i, '')
    document = parseHTML(`<html>${withoutDoctype}</html>`, globals).document as DomDocument
  }
  // Readability leaves #fragment links alone only when these two are equal.
  Object.defineProperty(document, 'documentURI', { value: url })
  repairBody(document)
  return document
}

/**
 * linkedom does not build the implied <body> an HTML parser would: content outside a
 * <body> tag, or an element between </head> and <body>, makes `document.body` an empty
 * element created on access, and Readability then sees an empty page. Gather every child
 * of <html> into the one <head> and <body>, in document order.
 */
function repairBody(document: DomDocument): void {
  const html = document.documentElement
  if (html === null) return
  // Creates and prepends a <head> when <html> does not start with one.
  const head = document.head
  const children = Array.from(html.childNodes)
  const body = children.find((node): node is DomElement => node.localName === 'body')
  if (children.length === (body === undefined ? 1 : 2)) {
    if (body === undefined) html.append(document.createElement('body'))
    return
  }
  const before: DomNode[] = []
  const after: DomNode[] = []
  let seenBody = false
  for (const child of children) {
    if (child === head) continue
    if (child === body) {
      seenBody = true
    } else if (child.localName === 'head') {
      // A second <head>, or one linkedom did not take because an element came first.
      head.append(...Array.from(child.childNodes))
      child.remove()
    } else if (seenBody) {
      after.push(child)
    } else {
      before.push(child)
    }
  }
  const target = body ?? document.createElement('body')
  target.prepend(...before)
  target.append(...after)
  if (body === undefined) html.append(target)
}

interface MarkupMetadata {
  title: string
  ogTitle: string
  lang: string
}

function readMarkupMetadata(document: DomDocument): MarkupMetadata {
  const html = document.documentElement
  let lang = normalizeLangTag(html?.getAttribute('lang')) || normalizeLangTag(html?.getAttribute('xml:lang'))
  let contentLanguage = ''
  let ogLocale = ''
  let ogTitle = ''
  const metas = document.getElementsByTagName('meta')
  for (let i = 0; i < metas.length; i++) {
    const meta = metas[i]
    if (meta === undefined) continue
    const content = meta.getAttribute('content') ?? ''
    const property = (meta.getAttribute('property') ?? meta.getAttribute('name') ?? '').trim().toLowerCase()
    if (meta.getAttribute('http-equiv')?.trim().toLowerCase() === 'content-language') contentLanguage ||= content
    else if (property === 'og:locale') ogLocale ||= content
    else if (property === 'og:title') ogTitle ||= content
  }
  lang ||= normalizeLangTag(contentLanguage) || normalizeLangTag(ogLocale)
  const titleElement = document.getElementsByTagName('title')[0]
  return { title: titleElement?.textContent ?? '', ogTitle, lang }
}

/** Deepest and largest documents handed to Readability; the 90-page corpus peaks at 38 and 9,888. */
const MAX_READABILITY_DEPTH = 256
const MAX_READABILITY_ELEMENTS = 50_000

function fitsReadability(document: DomDocument): boolean {
  const root = document.documentElement
  if (root === null) return false
  let elements = 0
  const stack: Array<[DomNode, number]> = [[root, 1]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [DomNode, number]
    elements += 1
    if (depth > MAX_READABILITY_DEPTH || elements > MAX_READABILITY_ELEMENTS) return false
    const children = node.childNodes
    for (let i = 0; i < children.length; i++) {
      const child = children[i]
      if (child !== undefined && child.nodeType === ELEMENT_NODE) stack.push([child, depth + 1])
    }
  }
  return true
}

interface Article {
  title: string
  content: DomElement
}

function runReadability(document: DomDocument): Article | undefined {
  try {
    const article = new Readability<DomElement>(document, {
      // The article element itself: its text is taken with block boundaries kept.
      serializer: (node) => node as DomElement,
    }).parse()
    if (!article?.content) return undefined
    return { title: article.title ?? '', content: article.content }
  } catch {
    // Readability assumes a browser DOM; a page that trips it over in linkedom still has
    // its body text.
    return undefined
  }
}

/** Elements whose boundaries separate words even when the markup has no space there. */
const BLOCK_ELEMENTS = new Set([
  'address', 'article', 'aside', 'blockquote', 'br', 'caption', 'dd', 'details', 'dialog', 'div',
  'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5',
  'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'option', 'p', 'pre', 'section', 'summary',
  'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul',
])
/** Elements whose text is never shown as page text. */
const INVISIBLE_ELEMENTS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'title'])

/**
 * Collapsed text of a subtree, like `textContent` but with a space at block boundaries, so
 * `<li>one</li><li>two</li>` reads "one two" and not "onetwo". Iterative: pages nest
 * deeply enough to overflow a recursive walk.
 */
function visibleText(root: DomNode): string {
  const parts: string[] = []
  const stack: Array<DomNode | ' '> = [root]
  while (stack.length > 0) {
    const item = stack.pop()
    if (item === undefined) break
    if (item === ' ') {
      parts.push(' ')
      continue
    }
    if (item.nodeType === TEXT_NODE) {
      parts.push(item.data ?? '')
      continue
    }
    if (item !== root && item.nodeType !== ELEMENT_NODE) continue
    const name = item.localName?.toLowerCase() ?? ''
    if (INVISIBLE_ELEMENTS.has(name)) continue
    const block = BLOCK_ELEMENTS.has(name)
    if (block) {
      parts.push(' ')
      stack.push(' ')
    }
    const children = item.childNodes
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i]
      if (child !== undefined) stack.push(child)
    }
  }
  return collapseWhitespace(parts.join(''))
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  const cut = text.slice(0, max)
  // Never end on half a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut
}
