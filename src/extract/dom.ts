import { createRequire } from 'node:module'
/**
 * The small DOM that ships with Readability (`JSDOMParser.js`), the one its own test suite
 * runs on. Its nodes are plain objects with arrays of children: building and walking them
 * costs a fraction of what linkedom's full DOM does (event targets, live collections). Its
 * parser is not an HTML parser (no void elements, no implied end tags), so documents are
 * built by build.ts from htmlparser2's events, and while Readability runs, `innerHTML` is
 * a snapshot rather than markup (readability-hooks.ts), so JSDOMParser's parser reads nothing.
 */
export interface DomNode {
  readonly nodeType: number
  readonly childNodes: DomNode[]
  readonly localName: string | null
  readonly textContent: string | null
  parentNode: DomNode | null
  appendChild(child: DomNode): void
}
export interface DomElement extends DomNode {
  readonly localName: string
  readonly attributes: DomAttribute[]
  getAttribute(name: string): string | undefined
}
export interface DomAttribute {
  readonly name: string
  readonly value: string
}
export interface DomDocument extends DomNode {
  documentElement: DomElement
  head: DomElement
  body: DomElement
  /** Readability reads the page title from here, as JSDOMParser fills it. */
  title: string
  createElement(name: string): DomElement
  createTextNode(text: string): DomNode
}

export const ELEMENT_NODE = 1
export const TEXT_NODE = 3

interface JSDOMParserInstance {
  parse(html: string, url?: string): DomDocument
}

// A CommonJS file without types and outside the package's entry point.
const JSDOMParser = createRequire(import.meta.url)('@mozilla/readability/JSDOMParser.js') as new () => JSDOMParserInstance

/** Builds detached nodes: JSDOMParser's nodes keep no reference to a document. */
const scratch = new JSDOMParser().parse('')

/** The prototypes of JSDOMParser's classes, which are not exported. */
export const prototypes = (() => {
  const document = scratch
  const element = document.createElement('a')
  const attributeOwner = document.createElement('a') as DomElement & { setAttribute(name: string, value: string): void }
  attributeOwner.setAttribute('a', '')
  return {
    document: Object.getPrototypeOf(document) as object,
    element: Object.getPrototypeOf(element) as object,
    attribute: Object.getPrototypeOf(attributeOwner.attributes[0]) as object,
    text: Object.getPrototypeOf(document.createTextNode('')) as object,
  }
})()

/** An empty document whose `documentURI` (and so `baseURI`) is the page's URL. */
export function createDocument(url: string): DomDocument {
  return new JSDOMParser().parse('', url)
}

export function createElement(name: string): DomElement {
  return scratch.createElement(name)
}

export function createTextNode(text: string): DomNode {
  return scratch.createTextNode(text)
}

/**
 * An attribute as JSDOMParser stores it, made directly: `setAttribute` looks for an existing
 * one first, which is quadratic on an element with many attributes.
 */
export function createAttribute(name: string, value: string): DomAttribute {
  const attribute = Object.create(prototypes.attribute) as { name: string; _value: string }
  attribute.name = name
  attribute._value = value
  return attribute as unknown as DomAttribute
}
