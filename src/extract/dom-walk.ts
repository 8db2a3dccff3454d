import { ELEMENT_NODE, TEXT_NODE, type DomElement, type DomNode } from './dom.js'

/** Average characters of a word, to bound text without spaces (Chinese, Japanese) as well. */
const CHARS_PER_WORD = 10

/** A copy of the element children, which JSDOMParser keeps in step with `childNodes`: no filtering walk. */
export function childElements(node: DomNode): DomElement[] {
  const children = (node as DomNode & { children?: DomElement[] }).children
  return children === undefined ? node.childNodes.filter((child): child is DomElement => child.nodeType === ELEMENT_NODE) : children.slice()
}

/** Whether any element under `root` (not `root` itself) satisfies `test`. Iterative: pages nest deeply. */
export function someDescendant(root: DomElement, test: (element: DomElement) => boolean): boolean {
  const stack: DomElement[] = childElements(root)
  while (stack.length > 0) {
    const element = stack.pop() as DomElement
    if (test(element)) return true
    stack.push(...childElements(element))
  }
  return false
}

/**
 * The subtree's text, white space collapsed, with a space at every element boundary; or
 * undefined as soon as it passes `maxWords` words (or `maxWords` × 10 characters), so asking
 * whether a block is short costs no more than the short block.
 */
export function boundedText(root: DomNode, maxWords: number): string | undefined {
  const parts: string[] = []
  let words = 0
  let chars = 0
  const stack: DomNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as DomNode
    if (node.nodeType === TEXT_NODE) {
      const data = node.textContent ?? ''
      words += countWords(data)
      chars += data.length
      if (words > maxWords || chars > maxWords * CHARS_PER_WORD) return undefined
      parts.push(data)
      continue
    }
    if (node !== root && node.nodeType === ELEMENT_NODE) parts.push(' ')
    const children = node.childNodes
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as DomNode)
  }
  return parts.join('').replace(/\s+/g, ' ').trim()
}

/** Runs of non-space characters. */
export function countWords(text: string): number {
  let count = 0
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const space = text.charCodeAt(i) <= 32
    if (!space && !inWord) count++
    inWord = !space
  }
  return count
}

/** Detaches every element of `elements` from its parent (JSDOMParser keeps `children` and siblings in step). */
export function removeAll(elements: readonly DomElement[]): void {
  for (const element of elements) (element as DomElement & { remove(): void }).remove()
}
