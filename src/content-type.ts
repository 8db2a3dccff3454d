/** What the tool reads, once fetched: `application/xhtml+xml` arrives as `text/html`, a PDF sent as a download as `application/pdf`. */
export type PageContentType = 'text/html' | 'text/plain' | 'application/pdf'
