import { describe, expect, it } from 'vitest'
import { extractPage } from '../src/extract.js'

const options = { url: 'https://example.com/blog/post.html', contentType: 'text/html' } as const

/** Six paragraphs of article text: long enough for Readability to take the article on its first pass. */
const STORY = Array.from(
  { length: 6 },
  (_, i) => `<p>The harbour town rebuilt its lighthouse in the spring, and paragraph ${i + 1} tells how the keepers, the masons and the council argued, agreed and finally finished the work together.</p>`,
).join('\n')

function page(article: string, outside = ''): string {
  return `<!doctype html><html lang="en"><head><title>The lighthouse</title></head><body><div id="page"><article class="post">${article}</article>${outside}</div></body></html>`
}

describe('boilerplate inside the article', () => {
  // Readability strips class attributes from its article (keeping them lost recall on the dev
  // split), so inside the article a block is named by its id.
  it('drops share buttons, related posts, a newsletter box and post metadata that Readability keeps, and keeps every paragraph', () => {
    const html = page(`<h1>The lighthouse</h1>${STORY}
      <div id="sharing-buttons"><h3>Share this:</h3><ul><li><a href="#">Twitter</a></li><li><a href="#">Facebook</a></li></ul></div>
      <div id="post-meta">Posted in <a href="#">Harbour news</a> | Tagged <a href="#">lighthouse</a></div>
      <div id="newsletter-signup"><h4>The harbour letter</h4><p>Get the harbour letter every Friday in your inbox.</p></div>
      <div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3><p><a href="#">The old pier</a> <a href="#">Storm season</a></p></div>`)
    const text = extractPage(html, options).text
    for (let i = 1; i <= 6; i++) expect(text).toContain(`paragraph ${i} tells how`)
    for (const gone of ['Share this', 'Twitter', 'Posted in', 'harbour letter', 'The old pier']) expect(text).not.toContain(gone)
  })

  it('drops a comment count, an image credit alone and a print-edition note, but keeps a caption that ends with a credit', () => {
    const html = page(`<h1>The lighthouse</h1>
      <figure><img src="a.jpg"><figcaption>The keepers on the gallery at dawn. Jane Doe/Getty Images</figcaption></figure>
      <figure><img src="b.jpg"><figcaption>Jane Doe/Getty Images</figcaption></figure>
      ${STORY}<p>12 Comments</p><p>A version of this article appeared in print on June 3 on page A10.</p>`)
    const text = extractPage(html, options).text
    expect(text).toContain('The keepers on the gallery at dawn. Jane Doe/Getty Images')
    expect(text.match(/Getty Images/g)).toHaveLength(1)
    expect(text).not.toContain('12 Comments')
    expect(text).not.toContain('appeared in print')
  })

  it('keeps a long block even when its id names it boilerplate: an article wrapper may say "share"', () => {
    const html = `<!doctype html><html><head><title>The lighthouse</title></head><body><div id="share-enabled-post">${STORY}</div></body></html>`
    expect(extractPage(html, options).text).toContain('paragraph 6 tells how')
  })
})

describe('blocks that are never the article', () => {
  const SHORT = '<h2>Sunrise at the lighthouse</h2><p>A photo post: the lighthouse at sunrise, taken from the east pier on a calm morning.</p>'
  const COMMENTS = Array.from({ length: 12 }, (_, i) => `<li class="comment"><p>Reader ${i + 1} said: what a lovely photograph, I remember standing on that pier as a child with my grandfather every summer.</p></li>`).join('')

  it('leaves out readers\' comments under a short post, which Readability picks as the longest text', () => {
    const html = `<!doctype html><html><head><title>Sunrise</title></head><body><div class="post">${SHORT}</div><div id="comments"><ol class="commentlist">${COMMENTS}</ol></div><div id="respond"><form><textarea></textarea></form></div></body></html>`
    const text = extractPage(html, options).text
    expect(text).toContain('the lighthouse at sunrise')
    expect(text).not.toContain('Reader 1 said')
  })

  it('leaves out a sidebar, but not a layout column named like one that holds the headline', () => {
    const about = Array.from({ length: 8 }, () => '<p>I am a photographer from the coast who writes about boats, weather and the light, and sells prints of every picture here.</p>').join('')
    const withSidebar = `<!doctype html><html><head><title>Sunrise</title></head><body><div class="post">${SHORT}</div><div id="sidebar">${about}</div></body></html>`
    expect(extractPage(withSidebar, options).text).not.toContain('I am a photographer')
    const wrapped = `<!doctype html><html><head><title>The lighthouse</title></head><body><div class="sidebar1 layout"><h1>The lighthouse</h1>${STORY}</div></body></html>`
    expect(extractPage(wrapped, options).text).toContain('paragraph 1 tells how')
  })
})
