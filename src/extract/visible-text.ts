import { ELEMENT_NODE, TEXT_NODE, type DomNode } from './dom.js'

/** Every Unicode white space (`\s`: includes NBSP, U+3000 ideographic space, U+FEFF). */
const WHITESPACE = /\s+/g

/** Turns every run of white space into one ASCII space and trims the ends. */
export function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE, ' ').trim()
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
export function visibleText(root: DomNode): string {
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
      parts.push(item.textContent ?? '')
      continue
    }
    if (item !== root && item.nodeType !== ELEMENT_NODE) continue
    const name = item.localName ?? ''
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
