import { Parser } from 'htmlparser2'
import { EXTRACT_LIMITS, formatCount, pageTooComplex, type ExtractBudget } from './budget.js'
import { createAttribute, createDocument, type DomDocument, type DomElement, type DomNode } from './dom.js'

/** What the markup itself says about the page, read while it is parsed. */
export interface MarkupMetadata {
  /** Text of the first <title>, as written (not collapsed), at most MAX_TITLE_SOURCE_CHARS. */
  title: string
  ogTitle: string
  /** Raw language values, in the order they are preferred: <html lang>, xml:lang, Content-Language, og:locale. */
  langCandidates: string[]
}

export interface BuiltDocument {
  document: DomDocument
  metadata: MarkupMetadata
  elements: number
  /** Depth of the deepest element, <html> being 1. */
  maxDepth: number
}

/**
 * Longest title text kept from the markup: well over any title a record keeps, so collapsing
 * white space still leaves enough, while a multi-megabyte <title> costs nothing downstream.
 */
export const MAX_TITLE_SOURCE_CHARS = 4096

/** Elements that belong in <head> when they appear outside <body>. */
const HEAD_ELEMENTS = new Set(['base', 'link', 'meta', 'noscript', 'script', 'style', 'template', 'title'])
/** How often (in tags) building checks the deadline: often enough to stop within milliseconds. */
const DEADLINE_CHECK_EVERY = 1024

interface OpenElement {
  /** null: content dropped (a script or style), together with everything inside it. */
  node: DomElement | null
  depth: number
}

/**
 * Builds the page's DOM from htmlparser2's events (the tokenizer linkedom uses, with the same
 * implied end tags, void elements and entity decoding), enforcing EXTRACT_LIMITS as it goes:
 * a page past a limit throws PAGE_TOO_COMPLEX before the rest of its DOM exists.
 *
 * Like a browser, it always yields <html> with one <head> and one <body>: content outside
 * <body>, a fragment, or an element between </head> and <body> lands in <body>, in document
 * order. Scripts (but JSON-LD, which Readability reads for metadata), styles and comments are
 * dropped here, as Readability would drop them later.
 */
export function buildDocument(source: string, url: string, budget: ExtractBudget): BuiltDocument {
  const document = createDocument(url)
  const html = document.createElement('html')
  const head = document.createElement('head')
  const body = document.createElement('body')
  html.appendChild(head)
  html.appendChild(body)
  document.appendChild(html)
  document.documentElement = html
  document.head = head
  document.body = body

  const metadata: MarkupMetadata = { title: '', ogTitle: '', langCandidates: [] }
  const langs = { html: '', xml: '', contentLanguage: '', ogLocale: '' }
  let titleElement: DomElement | undefined
  let seenHtml = false
  let elements = 3
  let attributes = 0
  let maxDepth = 2
  const stack: OpenElement[] = []
  let text: string[] = []
  let textLength = 0

  const flushText = (): void => {
    if (text.length === 0) return
    const data = text.length === 1 ? (text[0] as string) : text.join('')
    text = []
    textLength = 0
    const open = stack.at(-1)
    if (open !== undefined && open.node === null) return
    let parent = open?.node ?? html
    if (parent === html || parent === head) {
      // White space between structural tags is not content; anything else shows in <body>.
      if (data.trim() === '') return
      parent = body
    }
    parent.appendChild(document.createTextNode(data))
  }

  const parser = new Parser(
    {
      onopentagname() {
        elements++
        if (elements > EXTRACT_LIMITS.maxElements) throw pageTooComplex(`more than ${formatCount(EXTRACT_LIMITS.maxElements)} elements`)
        if (stack.length >= EXTRACT_LIMITS.maxOpenElements) {
          throw pageTooComplex(`more than ${formatCount(EXTRACT_LIMITS.maxOpenElements)} elements open at once (unclosed tags nested in one another)`)
        }
        if (elements % DEADLINE_CHECK_EVERY === 0) budget.check()
      },
      onattribute() {
        attributes++
        if (attributes > EXTRACT_LIMITS.maxAttributes) throw pageTooComplex(`more than ${formatCount(EXTRACT_LIMITS.maxAttributes)} attributes`)
      },
      onopentag(name, attribs) {
        flushText()
        const open = stack.at(-1)
        if (open !== undefined && open.node === null) {
          stack.push(open)
          return
        }
        if (name === 'html' || name === 'head' || name === 'body') {
          const node = name === 'html' ? html : name === 'head' ? head : body
          if (name === 'html' && !seenHtml) {
            seenHtml = true
            langs.html = attribs['lang'] ?? ''
            langs.xml = attribs['xml:lang'] ?? ''
          }
          // A repeated <html> or <body> adds the attributes the first one lacked, as in a browser.
          if (node !== head) for (const [key, value] of Object.entries(attribs)) if (node.getAttribute(key) === undefined) node.attributes.push(createAttribute(key, value))
          stack.push({ node, depth: node === html ? 1 : 2 })
          return
        }
        if ((name === 'script' && attribs['type']?.trim().toLowerCase() !== 'application/ld+json') || name === 'style') {
          elements--
          stack.push({ node: null, depth: open?.depth ?? 1 })
          return
        }
        let parent = open?.node ?? html
        let depth = (open?.depth ?? 1) + 1
        if (parent === html || (parent === head && !HEAD_ELEMENTS.has(name))) {
          parent = HEAD_ELEMENTS.has(name) && parent === html ? head : body
          depth = 3
        }
        const element = document.createElement(name)
        for (const key in attribs) element.attributes.push(createAttribute(key, attribs[key] as string))
        parent.appendChild(element)
        stack.push({ node: element, depth })
        if (depth > maxDepth) maxDepth = depth
        if (name === 'meta') readMeta(attribs, langs, metadata)
        else if (name === 'title' && titleElement === undefined) titleElement = element
      },
      ontext(data) {
        const open = stack.at(-1)
        // A script's or style's text is never kept, so it costs nothing and counts for nothing.
        if (open !== undefined && open.node === null) return
        if (open?.node?.localName === 'title') {
          // Only a title's start is ever used: the rest of a huge one is dropped, not an error.
          if (textLength < MAX_TITLE_SOURCE_CHARS) text.push(data.slice(0, MAX_TITLE_SOURCE_CHARS - textLength))
          textLength += data.length
          return
        }
        textLength += data.length
        if (textLength > EXTRACT_LIMITS.maxTextRunChars) throw pageTooComplex(`a run of more than ${formatCount(EXTRACT_LIMITS.maxTextRunChars)} characters of text without markup`)
        text.push(data)
      },
      onclosetag() {
        flushText()
        const closed = stack.pop()
        if (closed?.node === titleElement && titleElement !== undefined && metadata.title === '') metadata.title = textOf(titleElement)
      },
    },
    { decodeEntities: true },
  )
  parser.end(source)
  flushText()

  metadata.langCandidates = [langs.html, langs.xml, langs.contentLanguage, langs.ogLocale]
  // Readability takes the title from here (JSDOMParser's parser fills it the same way).
  document.title = metadata.title.trim()
  return { document, metadata, elements, maxDepth }
}

function readMeta(attribs: Record<string, string>, langs: { contentLanguage: string; ogLocale: string }, metadata: MarkupMetadata): void {
  const content = attribs['content'] ?? ''
  const property = (attribs['property'] ?? attribs['name'] ?? '').trim().toLowerCase()
  if (attribs['http-equiv']?.trim().toLowerCase() === 'content-language') langs.contentLanguage ||= content
  else if (property === 'og:locale') langs.ogLocale ||= content
  else if (property === 'og:title') metadata.ogTitle ||= content.slice(0, MAX_TITLE_SOURCE_CHARS)
}

/** A <title>'s text: htmlparser2 reads it as plain text, so its children are text nodes. */
function textOf(element: DomElement): string {
  let text = ''
  for (const child of element.childNodes as DomNode[]) {
    text += child.textContent ?? ''
    if (text.length >= MAX_TITLE_SOURCE_CHARS) break
  }
  return text.slice(0, MAX_TITLE_SOURCE_CHARS)
}
