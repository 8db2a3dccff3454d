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

  it('drops blocks named by their class: share buttons, tags, trackbacks, a menu, a post footer, a rating and Movable Type\'s "Posted by" line', () => {
    // Shapes from WordPress (sharedaddy, tags), TypePad (trackbacks) and Movable Type (p.posted)
    // themes. (A div holding only text or one paragraph loses its class in Readability, which
    // puts a new or the inner <p> in its place; these blocks name the element that stays.)
    const html = page(`<h1>The lighthouse</h1>${STORY}
      <div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social"><h3 class="sd-title">Share this:</h3><ul><li class="share-twitter"><a href="#">Twitter</a></li><li class="share-facebook"><a href="#">Facebook</a></li></ul></div></div>
      <p class="tags">Tags: <a href="#" rel="tag">lighthouse</a>, <a href="#" rel="tag">harbour</a></p>
      <p class="posted">Posted by Jane Keeper at June 3, 2012 9:14 AM</p>
      <div class="trackbacks"><h3>TrackBack</h3><p>TrackBack URL for this entry: http://www.typepad.com/services/trackback/6a00e5</p></div>
      <div class="post-footer"><span class="post-comment-link"><a href="#">Permalink</a></span></div>
      <p class="menusingle nav"><a href="/">Blog</a> <a href="/essays">Essays</a> <a href="/about">About</a></p>
      <p class="rating-box">Our Rating: 3 out of 5</p>`)
    const text = extractPage(html, options).text
    for (let i = 1; i <= 6; i++) expect(text).toContain(`paragraph ${i} tells how`)
    for (const gone of ['Share this', 'Twitter', 'Tags:', 'Posted by Jane', 'TrackBack', 'Permalink', 'Essays', 'Our Rating']) expect(text).not.toContain(gone)
  })

  it('keeps blocks whose class names layout as much as content: a caption, a date line, a "more" link, a category, a highlighted comment in code', () => {
    // On the dev split about half of such blocks are main text: their class words are not read.
    const html = page(`<h1>The lighthouse</h1><div class="entry-meta"><span class="posted-on">Posted on June 3, 2012</span></div>
      <div class="wp-caption aligncenter"><img src="a.jpg"><p class="wp-caption-text">The lamp room after the masons left</p></div>${STORY}
      <p class="more-link category-news">The keepers will open the lamp room to visitors every Sunday this summer.</p>
      <pre class="language-cpp"><code><span class="token comment">// lamp.cpp</span>\n<span class="token keyword">int</span> main() { <span class="token comment">/* light it */</span> }</code></pre>`)
    const text = extractPage(html, options).text
    for (const kept of ['Posted on June 3, 2012', 'The lamp room after the masons left', 'open the lamp room to visitors', '// lamp.cpp', '/* light it */']) expect(text).toContain(kept)
  })

  it('drops an author box of a paragraph of biography, by class or by its opening words, but never a long block so named', () => {
    const bio = 'Jane Keeper has written about the coast for twenty years, first for the county paper and then for this blog. She lives in the harbour town with two dogs, a rowing boat and far too many books about lighthouses, and she is writing a history of the keepers who worked the light before it was automated in 1986.'
    const html = page(`<h1>The lighthouse</h1>${STORY}
      <div class="wp-about-author-containter-none"><div class="wp-about-author-pic"><img src="jane.jpg"></div><div class="wp-about-author-text"><h3>Jane Keeper</h3><p>${bio}</p></div></div>
      <p>About the Author: Jane Keeper lives in the harbour town and is writing a history of its keepers.</p>
      <div id="author"><h4>Author: Tom Keeper</h4><p>${bio.replaceAll('Jane', 'Tom').replace('twenty years', 'two decades')}</p></div>`)
    const text = extractPage(html, options).text
    expect(text).toContain('paragraph 6 tells how')
    expect(text).not.toContain('twenty years')
    expect(text).not.toContain('About the Author')
    expect(text).not.toContain('two decades')

    const long = Array.from({ length: 4 }, () => bio).join(' ')
    const wrapped = page(`<h1>The lighthouse</h1><div class="author-bio-post">${STORY}<p>${long}</p></div>`)
    expect(extractPage(wrapped, options).text).toContain('paragraph 1 tells how')
  })

  it('drops post metadata that runs to a few sentences, a call to subscribe and a "Powered by" line, and keeps a paragraph that merely mentions them', () => {
    const html = page(`<h1>The lighthouse</h1>${STORY}
      <p>This entry was posted on Sunday, June 3rd, 2012 at 9:14 am and is filed under Harbour news, Lighthouses. You can follow any responses to this entry through the RSS 2.0 feed. You can leave a response, or trackback from your own site.</p>
      <p>If you enjoyed this post, please consider leaving a comment or subscribing to the RSS feed to have future articles delivered to your feed reader.</p>
      <p>Powered by Movable Type. Photo at top by Geoffrey Stone.</p>
      <p>The council said the lamp was powered by a diesel generator until 1986, and if you enjoyed the old foghorn you can still hear it on Sundays.</p>`)
    const text = extractPage(html, options).text
    expect(text).toContain('paragraph 6 tells how')
    expect(text).toContain('powered by a diesel generator')
    for (const gone of ['This entry was posted', 'follow any responses', 'If you enjoyed this post', 'Movable Type']) expect(text).not.toContain(gone)
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

  it('cuts the article at a heading that opens readers\' comments written as plain paragraphs (TypePad), but not at a section called "Response" or a heading at the top', () => {
    const comments = Array.from({ length: 10 }, (_, i) => `<p>Reader ${i + 1} wrote: I have walked out to that lighthouse every summer since I was a child, and it is good to see it lit again.</p><p class="posted">Posted by: <a href="#">Reader ${i + 1}</a> | Mar 26, 2007 2:0${i}:18 PM</p>`).join('')
    const typepad = page(`<h1>The lighthouse</h1>${STORY}<a id="comments"></a><h3>Comments</h3>${comments}<p>The comments to this entry are closed.</p>`)
    const text = extractPage(typepad, options).text
    expect(text).toContain('paragraph 6 tells how')
    expect(text).not.toContain('Reader 1 wrote')
    expect(text).not.toContain('Reader 10 wrote')

    const sections = page(`<h2>12 comments</h2><h1>The lighthouse</h1>${STORY}<h2>Response</h2><p>The council's response came a week later: the lamp would be lit again every night from the first of May.</p>`)
    const kept = extractPage(sections, options).text
    expect(kept).toContain('paragraph 6 tells how')
    expect(kept).toContain('the lamp would be lit again')
  })

  it('leaves out single comments that no named section holds (Movable Type\'s commentbody), however long', () => {
    const html = `<!doctype html><html><head><title>Sunrise</title></head><body><div id="content"><div class="entry">${SHORT}</div>${Array.from({ length: 6 }, (_, i) => `<div id="c96991${i}"><div class="commentbody by-reader-${i}">${Array.from({ length: 4 }, () => `<p>Reader ${i + 1} said: what a lovely photograph, I remember standing on that pier as a child with my grandfather every summer.</p>`).join('')}</div><p class="posted">Posted by Reader ${i + 1} at November 8, 2012 7:12 AM</p></div>`).join('')}</div></body></html>`
    const text = extractPage(html, options).text
    expect(text).toContain('the lighthouse at sunrise')
    expect(text).not.toContain('Reader 1 said')
  })

  it('leaves out a site footer under a short post, unless it holds the headline', () => {
    const disclaimer = Array.from({ length: 6 }, () => '<p>Disclaimer: this site has no affiliation with any camera maker. All trademarks and brands belong to their respective owners, and every photograph here is licensed under a Creative Commons licence.</p>').join('')
    const html = `<!doctype html><html><head><title>Sunrise</title></head><body><div class="post">${SHORT}</div><div id="footer">${disclaimer}</div></body></html>`
    const text = extractPage(html, options).text
    expect(text).toContain('the lighthouse at sunrise')
    expect(text).not.toContain('Disclaimer')
    const wrapped = `<!doctype html><html><head><title>The lighthouse</title></head><body><div class="footer"><h1>The lighthouse</h1>${STORY}</div></body></html>`
    expect(extractPage(wrapped, options).text).toContain('paragraph 1 tells how')
  })

  it('leaves out Blogger\'s and WordPress\'s sidebar widgets wherever a theme puts them, but not a theme\'s own widget holding the post', () => {
    const about = Array.from({ length: 6 }, () => '<p>I am a photographer from the coast who writes about boats, weather and the light, and sells prints of every picture here.</p>').join('')
    const blogger = `<!doctype html><html><head><title>Sunrise</title></head><body><div class="main"><div class="widget Blog" id="Blog1"><div class="post">${SHORT}</div></div><div class="widget Profile" id="Profile1">${about}</div></div></body></html>`
    expect(extractPage(blogger, options).text).toContain('the lighthouse at sunrise')
    expect(extractPage(blogger, options).text).not.toContain('I am a photographer')
    const wordpress = `<!doctype html><html><head><title>Sunrise</title></head><body><div class="main"><div class="post">${SHORT}</div><aside id="text-3" class="widget widget_text"><div class="textwidget">${about}</div></aside></div></body></html>`
    expect(extractPage(wordpress, options).text).not.toContain('I am a photographer')
    const themed = `<!doctype html><html><head><title>The lighthouse</title></head><body><ul><li id="postloop-14" class="widget widget_postloop">${STORY}</li></ul></body></html>`
    expect(extractPage(themed, options).text).toContain('paragraph 1 tells how')
  })

  it('falls back to the page without its comments when all Readability finds is boilerplate', () => {
    // A Blogger photo post (dragnet R402): the post has no text, so Readability takes the feed
    // link under it, which is boilerplate; the fallback used to be the whole page, comments included.
    const comments = Array.from({ length: 8 }, (_, i) => `<dt class="comment-author">Reader ${i + 1} said...</dt><dd class="comment-body"><p>These shoes are brilliant, I saw the same pair in the market on Saturday and I have regretted not buying them all week.</p></dd>`).join('')
    const html = `<!doctype html><html><head><title>LFW</title></head><body><div class="post-outer"><div class="post"><h3 class="post-title">LFW...</h3><div class="post-body"><img src="a.jpg"><img src="b.jpg"></div></div><div class="comments" id="comments"><h4>8 comments:</h4><dl id="comments-block">${comments}</dl></div></div><div class="post-feeds"><p>Subscribe to: <a class="feed-link" href="/feeds/comments/default">Post Comments (Atom)</a></p></div></body></html>`
    const text = extractPage(html, options).text
    expect(text).toContain('LFW...')
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
