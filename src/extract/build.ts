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
 * implied end tags, void elements and entity decoding; htmlparser2 12 here, 10 in linkedom 0.18:
 * the same extraction on every corpus page), enforcing EXTRACT_LIMITS as it goes:
 * a page past a limit throws PAGE_TOO_COMPLEX before the rest of its DOM exists.
 *
 * Like a browser, it always yields <html> with one <head> and one <body>: content outside
 * <body>, a fragment, or an element between </head> and <body> lands in <body>, in document
 * order. Scripts (but JSON-LD, which Readability reads for metadata), styles and comments are
 * dropped here, as Readability would drop them later.
 */
export function buildDocument(source: string, url: string, budget: ExtractBudget): BuiltDocument {
  const builder = new TreeBuilder(url, budget)
  const parser = new Parser(
    {
      onopentagname: () => builder.countElement(),
      onattribute: () => builder.countAttribute(),
      onopentag: (name, attribs) => builder.openTag(name, attribs),
      ontext: (data) => builder.text(data),
      onclosetag: () => builder.closeTag(),
    },
    { decodeEntities: true },
  )
  parser.end(source)
  return builder.finish()
}

/** The state of one page's build: the open elements, pending text, counts and metadata. */
class TreeBuilder {
  readonly document: DomDocument
  private readonly html: DomElement
  private readonly head: DomElement
  private readonly body: DomElement
  private readonly metadata: MarkupMetadata = { title: '', ogTitle: '', langCandidates: [] }
  private readonly langs = { html: '', xml: '', contentLanguage: '', ogLocale: '' }
  private titleElement: DomElement | undefined
  private seenHtml = false
  private elements = 3
  private attributes = 0
  private maxDepth = 2
  private readonly stack: OpenElement[] = []
  private pending: string[] = []
  private pendingLength = 0

  constructor(
    url: string,
    private readonly budget: ExtractBudget,
  ) {
    const document = createDocument(url)
    this.document = document
    this.html = document.createElement('html')
    this.head = document.createElement('head')
    this.body = document.createElement('body')
    this.html.appendChild(this.head)
    this.html.appendChild(this.body)
    document.appendChild(this.html)
    document.documentElement = this.html
    document.head = this.head
    document.body = this.body
  }

  countElement(): void {
    this.elements++
    if (this.elements > EXTRACT_LIMITS.maxElements) throw pageTooComplex(`more than ${formatCount(EXTRACT_LIMITS.maxElements)} elements`)
    if (this.stack.length >= EXTRACT_LIMITS.maxOpenElements) {
      throw pageTooComplex(`more than ${formatCount(EXTRACT_LIMITS.maxOpenElements)} elements open at once (unclosed tags nested in one another)`)
    }
    if (this.elements % DEADLINE_CHECK_EVERY === 0) this.budget.check()
  }

  countAttribute(): void {
    this.attributes++
    if (this.attributes > EXTRACT_LIMITS.maxAttributes) throw pageTooComplex(`more than ${formatCount(EXTRACT_LIMITS.maxAttributes)} attributes`)
  }

  openTag(name: string, attribs: Record<string, string>): void {
    this.flushText()
    const open = this.stack.at(-1)
    if (open !== undefined && open.node === null) {
      this.stack.push(open)
      return
    }
    if (name === 'html' || name === 'head' || name === 'body') {
      this.openStructural(name, attribs)
      return
    }
    if ((name === 'script' && attribs['type']?.trim().toLowerCase() !== 'application/ld+json') || name === 'style') {
      this.elements--
      this.stack.push({ node: null, depth: open?.depth ?? 1 })
      return
    }
    let parent = open?.node ?? this.html
    let depth = (open?.depth ?? 1) + 1
    if (parent === this.html || (parent === this.head && !HEAD_ELEMENTS.has(name))) {
      parent = HEAD_ELEMENTS.has(name) && parent === this.html ? this.head : this.body
      depth = 3
    }
    const element = this.document.createElement(name)
    for (const key in attribs) element.attributes.push(createAttribute(key, attribs[key] as string))
    parent.appendChild(element)
    this.stack.push({ node: element, depth })
    if (depth > this.maxDepth) this.maxDepth = depth
    if (name === 'meta') readMeta(attribs, this.langs, this.metadata)
    else if (name === 'title' && this.titleElement === undefined) this.titleElement = element
  }

  private openStructural(name: 'html' | 'head' | 'body', attribs: Record<string, string>): void {
    const node = name === 'html' ? this.html : name === 'head' ? this.head : this.body
    if (name === 'html' && !this.seenHtml) {
      this.seenHtml = true
      this.langs.html = attribs['lang'] ?? ''
      this.langs.xml = attribs['xml:lang'] ?? ''
    }
    // A repeated <html> or <body> adds the attributes the first one lacked, as in a browser.
    if (node !== this.head) for (const [key, value] of Object.entries(attribs)) if (node.getAttribute(key) === undefined) node.attributes.push(createAttribute(key, value))
    this.stack.push({ node, depth: node === this.html ? 1 : 2 })
  }

  text(data: string): void {
    const open = this.stack.at(-1)
    // A script's or style's text is never kept, so it costs nothing and counts for nothing.
    if (open !== undefined && open.node === null) return
    if (open?.node?.localName === 'title') {
      // Only a title's start is ever used: the rest of a huge one is dropped, not an error.
      if (this.pendingLength < MAX_TITLE_SOURCE_CHARS) this.pending.push(data.slice(0, MAX_TITLE_SOURCE_CHARS - this.pendingLength))
      this.pendingLength += data.length
      return
    }
    this.pendingLength += data.length
    if (this.pendingLength > EXTRACT_LIMITS.maxTextRunChars) throw pageTooComplex(`a run of more than ${formatCount(EXTRACT_LIMITS.maxTextRunChars)} characters of text without markup`)
    this.pending.push(data)
  }

  closeTag(): void {
    this.flushText()
    const closed = this.stack.pop()
    if (closed?.node === this.titleElement && this.titleElement !== undefined && this.metadata.title === '') this.metadata.title = textOf(this.titleElement)
  }

  finish(): BuiltDocument {
    this.flushText()
    this.metadata.langCandidates = [this.langs.html, this.langs.xml, this.langs.contentLanguage, this.langs.ogLocale]
    // Readability takes the title from here (JSDOMParser's parser fills it the same way).
    this.document.title = this.metadata.title.trim()
    return { document: this.document, metadata: this.metadata, elements: this.elements, maxDepth: this.maxDepth }
  }

  private flushText(): void {
    if (this.pending.length === 0) return
    const data = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('')
    this.pending = []
    this.pendingLength = 0
    const open = this.stack.at(-1)
    if (open !== undefined && open.node === null) return
    let parent = open?.node ?? this.html
    if (parent === this.html || parent === this.head) {
      // White space between structural tags is not content; anything else shows in <body>.
      if (data.trim() === '') return
      parent = this.body
    }
    parent.appendChild(this.document.createTextNode(data))
  }
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
