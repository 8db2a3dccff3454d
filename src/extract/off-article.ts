import type { DomElement } from './dom.js'
import { childElements, removeAll, someDescendant } from './dom-walk.js'

/**
 * Class or id tokens (whole, case-insensitive) of blocks that are never a page's article:
 * readers' comments and their forms, and sidebars. Readability drops such blocks in its
 * first pass only; when the article is short (a photo post, a few lines under a video) that
 * pass finds under 500 characters, the later passes keep everything, and the comments or
 * the sidebar, being the longest text, win. Removed before Readability scores the page.
 */
const OFF_ARTICLE = new Set([
  // comment sections and comment forms (WordPress, Blogger, TypePad, Disqus)
  'comments', 'commentlist', 'comment-list', 'comments-list', 'comment_list', 'comments_list', 'comments-area', 'comments-section', 'comment-section',
  'comments-content', 'all-comments', 'respond', 'comment-respond', 'commentform', 'comment-form', 'disqus_thread', 'dsq-content', 'comment-wrapper', 'comments-wrapper',
  // one reader's comment, where the section around them has no name of its own (Movable Type, WordPress), and trackbacks
  'comment', 'commentbody', 'comment-body', 'comment-content', 'comment-text', 'comment-entry', 'trackbacks', 'trackback-list',
  // sidebars
  'sidebar', 'side-bar', 'sidebar1', 'sidebar2', 'sidebar-1', 'sidebar-2', 'secondary', 'widget-area', 'sidebar-primary', 'sidebar-secondary', 'primary-sidebar',
  'right-sidebar', 'left-sidebar', 'sidebar-right', 'sidebar-left', 'rightcolumn', 'right-column',
  // site footers
  'footer', 'site-footer', 'page-footer', 'global-footer',
])

const CODE = new Set(['pre', 'code'])

/** Removes comment sections, comment forms and sidebars from the page, in place. */
export function removeOffArticleBlocks(body: DomElement): void {
  const doomed: DomElement[] = []
  const stack: DomElement[] = childElements(body)
  while (stack.length > 0) {
    const element = stack.pop() as DomElement
    // Code is text: a highlighter's `<span class="comment">` is a comment in the code.
    if (CODE.has(element.localName)) continue
    if (isOffArticle(element) && !holdsArticle(element)) doomed.push(element)
    else stack.push(...childElements(element))
  }
  removeAll(doomed)
}

/**
 * Sidebar widgets of the two commonest blog platforms, wherever the theme puts them:
 * Blogger's by id (`Profile1`, `HTML3`, `BlogArchive1`; the post itself is `Blog1`) and
 * WordPress's core widgets by class (`widget_text`, `widget_categories`, `widget_recent_entries`;
 * themes name their own widgets `widget_…` too, the post itself among them on some).
 */
const BLOGGER_WIDGET_ID = /^(?:Profile|HTML|Text|Label|BlogArchive|Followers|LinkList|PopularPosts|Attribution|Image|Subscribe|Stats|FeaturedPost|BlogList|Feed|Translate|ContactForm|PageList|BlogSearch|Navbar)\d+$/
const WORDPRESS_WIDGET_CLASS = /^widget_(?:text|categories|recent_entries|recent_comments|archive|meta|search|tag_cloud|links|calendar|rss|nav_menu|pages|media_image|custom_html|block)$/

function isOffArticle(element: DomElement): boolean {
  const id = element.getAttribute('id')
  if (id !== undefined && (OFF_ARTICLE.has(id.trim().toLowerCase()) || BLOGGER_WIDGET_ID.test(id.trim()))) return true
  const classes = element.getAttribute('class')
  if (classes !== undefined) for (const token of classes.toLowerCase().split(/\s+/)) if (OFF_ARTICLE.has(token) || WORDPRESS_WIDGET_CLASS.test(token)) return true
  const role = element.getAttribute('role')
  if (role === 'complementary' || role === 'contentinfo') return true
  return element.localName === 'form' && someDescendant(element, (e) => e.localName === 'textarea')
}

/** A block named like a sidebar or comments that holds the headline or the article is a layout wrapper (seen: `class="sidebar1 layout"`). */
function holdsArticle(element: DomElement): boolean {
  return someDescendant(element, (e) => e.localName === 'h1' || e.localName === 'article' || e.getAttribute('itemprop') === 'articleBody')
}
