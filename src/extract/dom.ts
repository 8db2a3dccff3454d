import { createRequire } from 'node:module'
import type { ExtractBudget } from './budget.js'

/**
 * The small DOM that ships with Readability (`JSDOMParser.js`), the one its own test suite
 * runs on. Its nodes are plain objects with arrays of children: building and walking them
 * costs a fraction of what linkedom's full DOM does (event targets, live collections). Its
 * parser is not an HTML parser (no void elements, no implied end tags), so documents are
 * built by build.ts from htmlparser2's events; JSDOMParser's own parser only ever reads
 * back the markup its serializer wrote, when Readability restores a page via innerHTML.
 */
export interface DomNode {
  readonly nodeType: number
  readonly childNodes: DomNode[]
  readonly localName: string | null
  readonly textContent: string | null
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

const prototypes = (() => {
  const document = new JSDOMParser().parse('')
  const element = document.createElement('a')
  const attributeOwner = document.createElement('a') as DomElement & { setAttribute(name: string, value: string): void }
  attributeOwner.setAttribute('a', '')
  return {
    document: Object.getPrototypeOf(document) as object,
    element: Object.getPrototypeOf(element) as object,
    attribute: Object.getPrototypeOf(attributeOwner.attributes[0]) as object,
  }
})()

/** An empty document whose `documentURI` (and so `baseURI`) is the page's URL. */
export function createDocument(url: string): DomDocument {
  return new JSDOMParser().parse('', url)
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

let activeBudget: ExtractBudget | undefined

/**
 * Runs `fn` (Readability) under `budget`: the DOM members Readability spends its time in
 * check the deadline and throw PAGE_TOO_COMPLEX once it has passed. Readability has no
 * hook of its own, and extraction is synchronous, so one module-level budget is enough.
 */
export function withBudget<T>(budget: ExtractBudget, fn: () => T): T {
  activeBudget = budget
  try {
    return fn()
  } finally {
    activeBudget = undefined
  }
}

function guardMethod(prototype: object, name: string): void {
  const original = Reflect.get(prototype, name) as (...args: unknown[]) => unknown
  Object.defineProperty(prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      activeBudget?.check()
      return original.apply(this, args)
    },
  })
}

function guardAccessor(prototype: object, name: string): void {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, name)
  if (descriptor === undefined) throw new Error(`JSDOMParser has no ${name} accessor to guard`)
  const { get, set } = descriptor
  Object.defineProperty(prototype, name, {
    configurable: true,
    get:
      get &&
      function (this: unknown) {
        activeBudget?.check()
        return get.call(this)
      },
    set:
      set &&
      function (this: unknown, value: unknown) {
        activeBudget?.check()
        set.call(this, value)
      },
  })
}

// Every Readability pass goes through these: whole-tree searches, text of a subtree, and the
// serialise/restore of the page between its attempts. Only this module uses JSDOMParser.
guardMethod(prototypes.element, 'getElementsByTagName')
guardMethod(prototypes.document, 'getElementsByTagName')
guardAccessor(prototypes.element, 'textContent')
guardAccessor(prototypes.element, 'innerHTML')
