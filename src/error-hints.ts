import type { ErrorCode } from './errors.js'

/**
 * The one fact of a failure, beside its code, that decides what to do next. Filled where the
 * error is raised (the fetcher knows the status and the content type); plain data.
 */
export interface HintContext {
  /** HTTP_STATUS: the status the server answered. */
  httpStatus?: number
  /** UNSUPPORTED_CONTENT_TYPE: the declared media type, lower case. */
  contentType?: string
  /** FETCH_TIMEOUT: which limit ended the fetch. */
  timeout?: 'connect' | 'headers' | 'body' | 'deadline'
  /** FETCH_FAILED: the system or TLS error code. */
  networkCode?: string
  /** TOO_MANY_REDIRECTS: past `--max-redirects`, or a loop (which no limit fixes). */
  redirects?: 'limit' | 'loop'
}

export interface HintRow {
  code: ErrorCode
  /** When the row applies, in words, for the README; `when` is the same as a test. */
  context: string
  when?: (context: HintContext) => boolean
  hint: string
}

const TLS_TRUST = /^(?:SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|CERT_HAS_EXPIRED|ERR_TLS_CERT_ALTNAME_INVALID)$/
const status = (test: (s: number) => boolean) => (c: HintContext) => c.httpStatus !== undefined && test(c.httpStatus)

/**
 * The next step for a failed page, by error code and context: the first row that matches
 * gives the record's `error.hint`. A row only where there is something to do; a failure
 * with no next step (a page with no text, a crashed worker) gets no hint. The README's
 * error-code table is checked against this table (test/error-hints.test.ts).
 */
export const HINTS: readonly HintRow[] = [
  { code: 'INVALID_URL', context: 'any', hint: 'each line of the list must be one absolute http:// or https:// URL' },
  { code: 'HTTP_STATUS', context: 'HTTP 401', when: status((s) => s === 401), hint: 'the page needs a login, and summarize-urls sends no credentials: leave it out or fetch it another way' },
  {
    code: 'HTTP_STATUS',
    context: 'HTTP 403',
    when: status((s) => s === 403),
    hint: "some sites refuse clients they do not know: try --user-agent with a browser's User-Agent string, then --resume to redo only the failed lines",
  },
  { code: 'HTTP_STATUS', context: 'HTTP 404, 410', when: status((s) => s === 404 || s === 410), hint: 'the page is not there: check the URL in the list' },
  { code: 'HTTP_STATUS', context: 'HTTP 429', when: status((s) => s === 429), hint: 'the site limits how fast it is fetched: lower --concurrency, then --resume to redo only the failed lines' },
  { code: 'HTTP_STATUS', context: 'HTTP 5xx', when: status((s) => s >= 500), hint: 'a server error, often passing: --resume later redoes only the failed lines' },
  { code: 'FETCH_TIMEOUT', context: 'the page deadline', when: (c) => c.timeout === 'deadline', hint: 'a slow page: a larger --fetch-timeout (seconds for the whole page) gives it longer' },
  { code: 'FETCH_TIMEOUT', context: 'connect', when: (c) => c.timeout === 'connect', hint: 'the host did not accept a connection: check that it is up and reachable from here (proxy, firewall)' },
  {
    code: 'FETCH_TIMEOUT',
    context: 'headers or body',
    when: (c) => c.timeout === 'headers' || c.timeout === 'body',
    hint: 'the server stopped answering: --resume later redoes only the failed lines (--fetch-timeout helps only below its 15 s cap for headers and body gaps)',
  },
  { code: 'FETCH_FAILED', context: 'ENOTFOUND', when: (c) => c.networkCode === 'ENOTFOUND', hint: 'the host name does not resolve: check the URL, or DNS from this machine' },
  { code: 'FETCH_FAILED', context: 'ECONNREFUSED', when: (c) => c.networkCode === 'ECONNREFUSED', hint: 'nothing listens at that host and port: check the URL' },
  {
    code: 'FETCH_FAILED',
    context: 'an untrusted certificate',
    when: (c) => c.networkCode !== undefined && TLS_TRUST.test(c.networkCode),
    hint: "the site's certificate is not trusted here: behind a TLS-inspecting proxy, set NODE_EXTRA_CA_CERTS to its CA file",
  },
  { code: 'TOO_MANY_REDIRECTS', context: 'over the limit', when: (c) => c.redirects === 'limit', hint: 'raise --max-redirects (up to 20)' },
  { code: 'BLOCKED_ADDRESS', context: 'any', hint: '--deny-private refused it: leave the flag off for a list of internal pages' },
  { code: 'TOO_LARGE', context: 'any', hint: 'raise --max-page-bytes (5 MiB by default) to accept larger pages' },

  { code: 'UNSUPPORTED_CONTENT_TYPE', context: 'another media type', when: (c) => c.contentType !== undefined, hint: 'summarize-urls reads HTML, XHTML, plain text and PDF: leave such URLs out of the list' },
  { code: 'THROTTLED', context: 'any', hint: 'set --rpm and --tpm to your quota (or lower --concurrency), then --resume to redo only the failed lines' },
  { code: 'NOT_ATTEMPTED', context: 'any', hint: 'fix the error the run stopped on (printed on stderr and in the first failed record), then --resume' },
]

/** The next step for this failure, or undefined when there is none to give. */
export function hintFor(code: ErrorCode, context: HintContext = {}): string | undefined {
  return HINTS.find((row) => row.code === code && (row.when === undefined || row.when(context)))?.hint
}
