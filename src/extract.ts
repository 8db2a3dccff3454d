import { Readability } from '@mozilla/readability'
import { detectLanguage, normalizeLangTag } from './language.js'
import { PageError } from './errors.js'
import { ExtractBudget, READABILITY_LIMITS } from './extract/budget.js'
import { removeBoilerplate } from './extract/boilerplate.js'
import { buildDocument, type MarkupMetadata } from './extract/build.js'
import { removeOffArticleBlocks } from './extract/off-article.js'
import type { DomDocument, DomElement } from './extract/dom.js'
import { withBudget } from './extract/readability-hooks.js'
import { collapseWhitespace, visibleText } from './extract/visible-text.js'

export { collapseWhitespace } from './extract/visible-text.js'
export { EXTRACT_LIMITS } from './extract/budget.js'

export interface ExtractedPage {
  /** Page title, whitespace collapsed, at most MAX_TITLE_CHARS; '' when the page has none. */
  title: string
  /** BCP 47 language tag from the markup, else detected from the text, else ''. */
  lang: string
  /** `lang` came from the markup rather than from detection. */
  langDeclared: boolean
  /** Main text, whitespace collapsed; '' when the page has no readable text. */
  text: string
}

export interface ExtractOptions {
  /** The page's final URL (after redirects): relative links in the page resolve against it. */
  url: string
  contentType: 'text/html' | 'text/plain'
  /** Wall time the extraction may take before the page is PAGE_TOO_COMPLEX. Default EXTRACT_LIMITS.budgetMs (10 s). */
  budgetMs?: number
}

/** Longest title a page gets, in UTF-16 code units: a whole headline, never a multi-megabyte <title>. */
export const MAX_TITLE_CHARS = 300
/** Longest title taken from the first line of a text/plain page, in UTF-16 code units. */
const MAX_PLAIN_TITLE_CHARS = 200

/**
 * Main text, title and language of a page. HTML goes through Readability; when Readability
 * finds no article, the whole visible body text is used instead. Throws PAGE_TOO_COMPLEX
 * (a PageError) for a page past EXTRACT_LIMITS; never costs more than they allow.
 */
export function extractPage(source: string, options: ExtractOptions): ExtractedPage {
  if (options.contentType === 'text/plain') return extractPlainText(source)

  const budget = new ExtractBudget(options.budgetMs)
  const { article, metadata, body } = readArticle(source, options.url, budget)
  let text = article === undefined ? '' : visibleText(article.content)
  // Readability rewrote the document it ran on, which is garbage by now: the fallback reads
  // a fresh one, so two DOMs of the page never exist at once. It drops comments and sidebars
  // too (a photo post whose few words were all boilerplate would otherwise come out as its
  // readers' comments), unless nothing else is left.
  if (text === '') text = body !== undefined ? visibleText(body) : fallbackText(source, options.url, budget)

  const titles = [article?.title, metadata.title, metadata.ogTitle]
  const title = truncate(titles.map((t) => collapseWhitespace(t ?? '')).find((t) => t !== '') ?? '', MAX_TITLE_CHARS).trimEnd()
  const lang = metadata.langCandidates.map(normalizeLangTag).find((l) => l !== '') ?? ''
  return { title, lang: lang || detectLanguage(text || title), langDeclared: lang !== '', text }
}

function fallbackText(source: string, url: string, budget: ExtractBudget): string {
  const { body } = buildDocument(source, url, budget).document
  const whole = visibleText(body)
  removeOffArticleBlocks(body)
  return visibleText(body) || whole
}

function extractPlainText(source: string): ExtractedPage {
  const firstLine = /\S[^\n\r]*/.exec(source)?.[0] ?? ''
  const text = collapseWhitespace(source)
  return { title: truncate(collapseWhitespace(firstLine), MAX_PLAIN_TITLE_CHARS), lang: detectLanguage(text), langDeclared: false, text }
}

interface Article {
  title: string
  content: DomElement
}

/** Readability's article, or the body when the document is too deep or large to give it Readability. */
function readArticle(source: string, url: string, budget: ExtractBudget): { article?: Article | undefined; metadata: MarkupMetadata; body?: DomElement } {
  const { document, metadata, elements, maxDepth } = buildDocument(source, url, budget)
  // Deep or huge documents are never real articles, and Readability would take minutes on them.
  if (maxDepth > READABILITY_LIMITS.maxDepth || elements > READABILITY_LIMITS.maxElements) return { metadata, body: document.body }
  removeOffArticleBlocks(document.body)
  return { article: runReadability(document, budget), metadata }
}

function runReadability(document: DomDocument, budget: ExtractBudget): Article | undefined {
  try {
    const article = withBudget(budget, () =>
      new Readability<DomElement>(document as never, {
        // The article element itself: its text is taken with block boundaries kept.
        serializer: (node) => node as unknown as DomElement,
        keepClasses: true,
      }).parse(),
    )
    if (!article?.content) return undefined
    removeBoilerplate(article.content)
    return { title: article.title ?? '', content: article.content }
  } catch (error) {
    if (error instanceof PageError) throw error
    // Readability assumes a browser DOM; a page that trips it over still has its body text.
    return undefined
  }
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  const cut = text.slice(0, max)
  // Never end on half a surrogate pair.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut
}
