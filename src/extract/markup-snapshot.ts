import { createAttribute, createElement, createTextNode, ELEMENT_NODE, type DomAttribute, type DomElement, type DomNode } from './dom.js'

/** Marks a text node in a snapshot's flat record; an element starts with its (string) name. */
const TEXT = 0

interface MutableElement extends DomElement {
  childNodes: DomNode[]
  children: DomElement[]
}

/**
 * An element's children as they were when Readability read its `innerHTML`, kept as a flat
 * record of names, attributes and texts (references to strings that already exist) instead
 * of markup. Readability reads the whole body's `innerHTML` once a page only to put it back
 * if its first attempt finds too little text; serialising it cost about a tenth of a page's
 * extraction, and the markup was re-parsed on the rare retry. A snapshot costs one walk
 * without string building, and only becomes markup if something converts it to a string.
 *
 * Restoring gives the tree JSDOMParser's parser would have read back from the markup:
 * adjacent texts merged into one node, empty texts dropped. It is faithful where that parser
 * is not (an attribute name with `=` in it, a text holding `&amp;#65;`, which it decoded twice).
 */
export class MarkupSnapshot {
  readonly #record: Array<string | number> = []
  readonly #serializeChildren: (element: DomElement) => string

  /** `serializeChildren` is JSDOMParser's own `innerHTML` getter, so markup comes out as it always did. */
  constructor(element: DomElement, serializeChildren: (element: DomElement) => string) {
    recordChildren(element, this.#record)
    this.#serializeChildren = serializeChildren
  }

  /** Replaces `element`'s children with fresh copies of the recorded ones, as the `innerHTML` setter does. */
  restoreInto(element: DomElement): void {
    const target = element as MutableElement
    for (const child of target.childNodes) child.parentNode = null
    target.childNodes = []
    target.children = []
    rebuildChildren(this.#record, 0, target)
  }

  /**
   * The markup JSDOMParser would have serialised: what a string concatenation or a regular
   * expression test reads (Readability tests embeds' markup against its video pattern).
   */
  toString(): string {
    const holder = createElement('div')
    this.restoreInto(holder)
    return this.#serializeChildren(holder)
  }
}

/** Appends `parent`'s children to `record`: each as its name, attributes and children, or as TEXT and its text. */
function recordChildren(parent: DomNode, record: Array<string | number>): void {
  const countAt = record.length
  record.push(0)
  let count = 0
  let text: string | undefined
  for (const child of parent.childNodes) {
    if (child.nodeType !== ELEMENT_NODE) {
      text = text === undefined ? (child.textContent ?? '') : text + (child.textContent ?? '')
      continue
    }
    if (text !== undefined && text !== '') {
      record.push(TEXT, text)
      count++
    }
    text = undefined
    const element = child as DomElement
    record.push(element.localName, element.attributes.length)
    for (const attribute of element.attributes) record.push(attribute.name, attribute.value)
    recordChildren(element, record)
    count++
  }
  if (text !== undefined && text !== '') {
    record.push(TEXT, text)
    count++
  }
  record[countAt] = count
}

/** Rebuilds the children recorded from `at` into `parent`; returns where the record continues. */
function rebuildChildren(record: Array<string | number>, at: number, parent: DomNode): number {
  let i = at
  const count = record[i++] as number
  for (let n = 0; n < count; n++) {
    const head = record[i++] as string | number
    if (head === TEXT) {
      parent.appendChild(createTextNode(record[i++] as string))
      continue
    }
    const element = createElement(head as string)
    const attributes = element.attributes as DomAttribute[]
    const attributeCount = record[i++] as number
    for (let a = 0; a < attributeCount; a++) {
      attributes.push(createAttribute(record[i] as string, record[i + 1] as string))
      i += 2
    }
    parent.appendChild(element)
    i = rebuildChildren(record, i, element)
  }
  return i
}
