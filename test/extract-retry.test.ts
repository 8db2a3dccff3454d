import { describe, expect, it } from 'vitest'
import { extractPage } from '../src/extract.js'
import { ExtractBudget } from '../src/extract/budget.js'
import { buildDocument } from '../src/extract/build.js'
import { ELEMENT_NODE, type DomElement, type DomNode } from '../src/extract/dom.js'
import { MarkupSnapshot } from '../src/extract/markup-snapshot.js'
import { withBudget } from '../src/extract/readability-hooks.js'

const URL_ = 'http://127.0.0.1/page.html'
const SENTENCE = 'The committee met on Tuesday to discuss the new bridge, and every member spoke at length about its cost. '

/** Node types, names, attributes and texts of a subtree, one line a node, indented by depth. */
function shape(node: DomNode, depth = 0): string {
  const lines: string[] = []
  for (const child of node.childNodes) {
    if (child.nodeType === ELEMENT_NODE) {
      const element = child as DomElement
      lines.push(`${'  '.repeat(depth)}<${element.localName}${element.attributes.map((a) => ` ${a.name}=${JSON.stringify(a.value)}`).join('')}>`)
      lines.push(shape(element, depth + 1))
    } else {
      lines.push(`${'  '.repeat(depth)}${JSON.stringify(child.textContent)}`)
    }
  }
  return lines.filter((line) => line !== '').join('\n')
}

/** JSDOMParser's elements have `innerHTML`; the project's DOM types leave it out on purpose. */
type WithMarkup = DomElement & { innerHTML: unknown }

function body(html: string): WithMarkup {
  return buildDocument(`<html><body>${html}</body></html>`, URL_, new ExtractBudget()).document.body as WithMarkup
}

describe("Readability's retry after a failed first attempt", () => {
  it('reads the article from the restored page when the first attempt strips it as unlikely', () => {
    // The first attempt drops the "extra" block as an unlikely candidate, finds under 500
    // characters and restores the body; the second keeps it. (Not "comment": our own pass
    // removes a single comment before Readability runs.)
    const article = SENTENCE.repeat(8)
    const page = extractPage(`<html><body><div class="extra"><p>${article}</p></div><div class="nav">Home</div></body></html>`, { url: URL_, contentType: 'text/html' })
    expect(page.text).toContain(article.trim())
  })

  it('restores a snapshot as the tree JSDOMParser would have parsed back from its own markup', () => {
    const source = body('<div id="a" title=\'say "hi" &amp; go\'>one<br>two<img src="x.png"><p>a &lt;b&gt; &amp;#65; c</p><p></p></div><span>x</span>tail')
    // Adjacent and empty texts, which a serialise/parse round trip merges and drops.
    const div = source.childNodes[0] as DomElement
    div.appendChild(buildDocument('<html><body>more</body></html>', URL_, new ExtractBudget()).document.body.childNodes[0] as DomNode)
    div.appendChild(buildDocument('<html><body>x</body></html>', URL_, new ExtractBudget()).document.body.childNodes[0] as DomNode)
    ;(div.childNodes.at(-1) as unknown as { textContent: string }).textContent = ''

    const markup = source.innerHTML as string
    const reparsed = body('')
    reparsed.innerHTML = markup
    const restored = body('<p>to be replaced</p>')
    new MarkupSnapshot(source, (element) => (element as WithMarkup).innerHTML as string).restoreInto(restored)

    expect(restored.innerHTML).toBe(markup)
    // JSDOMParser decodes "&amp;#65;" twice; the snapshot keeps the text as it was.
    expect(shape(restored)).toBe(shape(reparsed).replace('a <b> A c', 'a <b> &#65; c'))
    for (const child of restored.childNodes) expect(child.parentNode).toBe(restored)
  })

  it('takes the snapshot when innerHTML is read, not when it is restored', () => {
    const page = body('<p>before</p>')
    const saved = withBudget(new ExtractBudget(), () => page.innerHTML)
    page.appendChild(buildDocument('<html><body><p>after</p></body></html>', URL_, new ExtractBudget()).document.body.childNodes[0] as DomNode)
    withBudget(new ExtractBudget(), () => {
      page.innerHTML = saved
    })
    expect(page.innerHTML).toBe('<p>before</p>')
    expect(String(saved)).toBe('<p>before</p>')
  })
})
