import { ELEMENT_NODE, TEXT_NODE, type DomElement, type DomNode } from './dom.js'
import { boundedText, childElements, countWords, removeAll } from './dom-walk.js'

/**
 * Boilerplate that Readability keeps inside an article: share buttons, related-article
 * lists, newsletter boxes, post metadata (tags, categories, "posted in"), comment counts,
 * image credits, cookie notices. Readability scores whole blocks; these are small blocks
 * inside the winning one, named by their class or id, or by a first few words every CMS
 * writes the same way. Each rule removes only a small block (a few dozen words at most), so
 * an article wrapper whose class happens to say "share" is never lost.
 */

/**
 * Class or id words of blocks that are never main text, matched against each `-`/`_`-separated
 * part. Readability strips class attributes from its article, so in practice this reads ids
 * (keeping the classes, `keepClasses`, lost recall on the dev split: 0.9176 → 0.9150).
 */
const BOILERPLATE_NAME = new RegExp(
  '(?:^|[-_\\s])(?:' +
    [
      // share buttons and social widgets
      'share', 'shares', 'sharing', 'sharedaddy', 'addthis', 'addtoany', 'a2a', 'sociable', 'shareaholic', 'social', 'socials', 'tweet', 'retweet', 'fb', 'facebook', 'twitter', 'pinterest', 'whatsapp', 'linkedin',
      // related and recommended articles
      'related', 'relatedposts', 'jp', 'yarpp', 'crp', 'recommended', 'recommendations', 'outbrain', 'taboola', 'zergnet', 'more', 'trending', 'popular', 'readmore',
      // newsletter and subscription boxes
      'newsletter', 'newsletters', 'subscribe', 'subscription', 'signup', 'mailchimp', 'mc4wp', 'optin',
      // post metadata
      'meta', 'postmeta', 'entrymeta', 'tags', 'tagged', 'tagcloud', 'taglist', 'categories', 'category', 'cat', 'filed', 'postinfo', 'utility', 'byline', 'dateline', 'timestamp',
      // comment counts and links, author boxes
      'comments', 'commentcount', 'author', 'authorbox', 'bio',
      // image credits, cookie notices, print/e-mail tools, navigation
      'credit', 'credits', 'copyright', 'cookie', 'cookies', 'gdpr', 'consent', 'print', 'email', 'tools', 'toolbar', 'breadcrumb', 'breadcrumbs', 'pagination', 'pager', 'nav', 'navigation', 'promo',
    ].join('|') +
    ')(?:$|[-_\\s])',
  'i',
)

/**
 * Class words of blocks that are never main text, matched like BOILERPLATE_NAME. Classes
 * name layout as much as content (`more-link`, `entry-meta`, `byline`, `category-news`,
 * `wp-caption` are often on main text), so this list is narrower than the ids'.
 */
const BOILERPLATE_CLASS = new RegExp(
  '(?:^|[-_\\s])(?:' +
    [
      // share buttons and social widgets
      'share', 'shares', 'sharing', 'sharedaddy', 'addthis', 'addtoany', 'a2a', 'sociable', 'shareaholic', 'social', 'socials', 'tweet', 'retweet', 'facebook', 'twitter', 'pinterest', 'whatsapp', 'linkedin',
      // related and recommended articles
      'related', 'relatedposts', 'yarpp', 'crp', 'recommended', 'recommendations', 'outbrain', 'taboola', 'zergnet', 'trending', 'popular', 'readmore',
      // newsletter and subscription boxes
      'newsletter', 'newsletters', 'subscribe', 'subscription', 'signup', 'mailchimp', 'mc4wp', 'optin',
      // post metadata, comment counts and comments, trackbacks
      'postmetadata', 'postmeta', 'entrymeta', 'tags', 'tagged', 'tagcloud', 'taglist', 'categories', 'postinfo', 'comment', 'comments', 'commentbody', 'commentcount', 'trackback', 'trackbacks',
      // author boxes
      'authorbox', 'profile',
      // credits, cookie notices, print/e-mail tools, navigation, footers, widgets
      'credits', 'copyright', 'disclaimer', 'cookie', 'cookies', 'gdpr', 'consent', 'print', 'email', 'toolbar', 'breadcrumb', 'breadcrumbs', 'pagination', 'pager', 'nav', 'navigation', 'menu', 'promo', 'footer', 'calendar', 'rating', 'ratings',
    ].join('|') +
    ')(?:$|[-_\\s])',
  'i',
)

/** An author box named in two words (`about-author`, `author-info`, `authordescription`), by its class or id. */
const AUTHOR_BOX_NAME = /(?:^|[-_\s])(?:about[-_]?(?:the[-_]?)?author|author[-_]?(?:bio|box|info|about|profile|details|description|text|container|wrap))/i
/** An author box named by its id alone (a class `author` is as often a byline). */
const AUTHOR_BOX_ID = /^(?:author|authorbox|bio)$/i
/** An author box runs longer than other boilerplate: a paragraph of biography. */
const MAX_AUTHOR_BOX_WORDS = 150

/** Whole class names of post metadata: TypePad's and Movable Type's "Posted by … at …" lines. */
const WHOLE_BOILERPLATE_CLASS = /(?:^|\s)posted(?:$|\s)/i

/**
 * Opening words of post metadata that runs to a few sentences ("This entry was posted on …
 * and is filed under …. You can follow any responses …", a print edition's note with the
 * headline it ran under), looked for in blocks up to MAX_BOILERPLATE_WORDS.
 */
const LONG_BOILERPLATE_TEXT = new RegExp(
  '^(?:' +
    [
      'about the author\\b', 'this (?:entry|post) was (?:posted|written)\\b', 'a version of this (?:article|story) appeared\\b', 'you can follow any responses\\b',
      // a call to read more of the blog
      'if you (?:enjoyed|liked|like|found) (?:this|these|my|our)\\b',
    ].join('|') +
    ')',
  'i',
)

/**
 * Opening words of a short block that is post metadata, a call to act, a comment count or
 * an image credit rather than text.
 */
const BOILERPLATE_TEXT = new RegExp(
  '^(?:' +
    [
      // post metadata
      'posted (?:in|under)\\b', 'filed (?:under|in)\\b', 'archived (?:under|in)\\b', 'tagged(?: with)?\\b', 'tags?\\s*:', 'categor(?:y|ies)\\s*:', 'this (?:entry|post) was posted\\b',
      '(?:©|\\(c\\)|copyright)\\s', 'originally (?:posted|published)\\b',
      // sharing, related articles, calls to act
      'share (?:this|on|via)\\b', 'related\\s*(?::|topics|posts?|articles?|stories|content|links|coverage)', 'you (?:may|might) also (?:like|enjoy)\\b',
      '(?:sign up|subscribe) (?:for|to)\\b', 'follow (?:me|us)\\b', '(?:comments )?(?:proudly )?powered by\\b', '(?:like|follow) (?:us|me) on\\b', 'click (?:here )?to (?:enlarge|read|see|view)\\b', "don[’']t miss\\b",
      'read more\\b', 'continue reading\\b', 'back to (?:story|article|top)\\b', '(?:previous|next) (?:post|article|story)\\b', 'printer[- ]friendly\\b', 'advertisement$', 'advertise here\\b',
      // comments
      '(?:\\d+|no|one) comments?\\b', 'leave a (?:comment|reply)\\b', 'jump to comments\\b', 'comments (?:to this entry )?are closed\\b',
      // credits, author boxes
      '(?:photo|image|picture)s?(?: credit)?\\s*:', '(?:photo|image)s? courtesy\\b', '(?:mandatory )?credit\\s*:', '\\(?ap photo\\b',
    ].join('|') +
    ')',
  'i',
)

/** A wire-service or agency credit ending a caption: "(AP Photo/…)", "/ Getty Images", "Reuters". */
const CREDIT_TEXT = /(?:\((?:ap|afp|getty|reuters|epa)\b[^)]*\)|(?:\/|\||photo:?|credit:?)\s*(?:the )?(?:associated press|ap|getty images|reuters|afp|epa)(?: photo)?)\s*$/i

/** Blocks longer than this are never removed by name or text: they may be the article itself. */
const MAX_BOILERPLATE_WORDS = 60
/** A text rule looks at blocks this short only: a credit or a "posted in" line, not a paragraph. */
const MAX_TEXT_RULE_WORDS = 25

/** An image credit alone ("Mark Stout/iStock/Getty Images"), not a caption that ends with one. */
const MAX_CREDIT_WORDS = 8

/** Elements the rules look at; inline ones (a, span, em) are judged with their block. */
const CANDIDATES = new Set(['div', 'section', 'aside', 'footer', 'header', 'nav', 'ul', 'ol', 'li', 'p', 'span', 'figure', 'figcaption', 'cite', 'em', 'small', 'dl', 'table', 'form', 'h2', 'h3', 'h4', 'h5', 'h6'])

/**
 * A heading that opens readers' comments: "Comments", "12 Responses to “…”", "Leave a Reply".
 * A singular "Response" or "Comment" alone is a section of some articles (an API's Response).
 */
const COMMENTS_HEADING = /^(?:(?:\d+|no|one|two|three)\s+(?:comments?|responses?|replies)|(?:(?:reader|user)s?['’]?\s+)?(?:comments|responses|replies))(?:\s*\(\d+\)|\s*:|\s+(?:to|on|for)\s.*)?$|^(?:leave|post|add|write) (?:a|your) (?:comment|reply|response)\b/i
/** Words of article text before a comments heading, so that a heading at the top (a "Comments" tab, a count) never cuts the article. */
const MIN_WORDS_BEFORE_COMMENTS = 50
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6'])

/**
 * Cuts the article at a heading that opens readers' comments, when the comments are not in a
 * block of their own (Movable Type and TypePad write them as paragraphs after the post).
 */
function cutAtCommentsHeading(article: DomElement): void {
  let words = 0
  const stack: DomNode[] = [...article.childNodes].reverse()
  while (stack.length > 0) {
    const node = stack.pop() as DomNode
    if (node.nodeType === TEXT_NODE) {
      words += countWords(node.textContent ?? '')
      continue
    }
    if (node.nodeType !== ELEMENT_NODE) continue
    const element = node as DomElement
    if (HEADINGS.has(element.localName) && words >= MIN_WORDS_BEFORE_COMMENTS) {
      const text = boundedText(element, 12)
      if (text !== undefined && COMMENTS_HEADING.test(text)) {
        cutFrom(element, article)
        return
      }
    }
    for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push(node.childNodes[i] as DomNode)
  }
}

/** Removes `start` and everything after it in document order, up to the end of `root`. */
function cutFrom(start: DomElement, root: DomElement): void {
  const doomed: DomNode[] = [start]
  let node: DomNode = start
  while (node !== root && node.parentNode !== null) {
    const siblings = node.parentNode.childNodes
    doomed.push(...siblings.slice(siblings.indexOf(node) + 1))
    node = node.parentNode
  }
  // JSDOMParser's nodes, text ones too, detach themselves and keep their parent's lists in step.
  for (const gone of doomed) (gone as DomNode & { remove(): void }).remove()
}

/** Removes readers' comments and boilerplate blocks from Readability's article element, in place. */
export function removeBoilerplate(article: DomElement): void {
  cutAtCommentsHeading(article)
  const doomed: DomElement[] = []
  const stack: DomElement[] = childElements(article)
  while (stack.length > 0) {
    const element = stack.pop() as DomElement
    // Code is text: a highlighter's `<span class="token comment">` is a comment in the code.
    if (element.localName === 'pre' || element.localName === 'code') continue
    if (CANDIDATES.has(element.localName) && isBoilerplate(element)) {
      doomed.push(element)
      continue
    }
    stack.push(...childElements(element))
  }
  removeAll(doomed)
}

function isBoilerplate(element: DomElement): boolean {
  const id = element.getAttribute('id') ?? ''
  const classes = element.getAttribute('class') ?? ''
  if (AUTHOR_BOX_NAME.test(id) || AUTHOR_BOX_NAME.test(classes) || AUTHOR_BOX_ID.test(id)) return boundedText(element, MAX_AUTHOR_BOX_WORDS) !== undefined
  const named = (id !== '' && BOILERPLATE_NAME.test(id)) || (classes !== '' && (BOILERPLATE_CLASS.test(classes) || WHOLE_BOILERPLATE_CLASS.test(classes)))
  const text = boundedText(element, MAX_BOILERPLATE_WORDS)
  if (text === undefined) return false
  if (named || LONG_BOILERPLATE_TEXT.test(text)) return true
  const words = countWords(text)
  if (words > MAX_TEXT_RULE_WORDS) return false
  return BOILERPLATE_TEXT.test(text) || (words <= MAX_CREDIT_WORDS && CREDIT_TEXT.test(text))
}
