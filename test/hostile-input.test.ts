import type { ServerResponse } from 'node:http'
import { TextDecoder } from 'node:util'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { PageRecord } from '../src/record.js'
import type { RunStats } from '../src/run.js'
import { runLines } from './helpers/run.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

/**
 * Each hostile input must end as one clear error record and cost nothing else: the good pages
 * of the same run are summarized, nothing is fetched twice, and the run takes about as long as
 * its slowest page's deadline. One run over every hostile URL among good pages, then one test
 * per case reading that run's records.
 */

const KiB = 1024
const MiB = 1024 * KiB

/** Whole-page deadline for the run: the trickling page and the silent one end here. */
const FETCH_TIMEOUT_MS = 2000
/** Page cap for the run; the 50 MB pages and the gzip bomb go past it. */
const MAX_PAGE_BYTES = 1 * MiB
const MAX_REDIRECTS = 5
/** What a huge page may have pushed into the socket before the fetcher hung up: "well below 50 MB". */
const MAX_BYTES_SENT_FOR_HUGE_PAGE = 8 * MiB
const HUGE_PAGE_BYTES = 50 * 1000 * 1000
/** Decompressed size of the gzip bomb: 10 gzip members of 10 MiB of zeros each. */
const BOMB_INFLATED_BYTES = 100 * MiB
const TRICKLE_EVERY_MS = 1000

// ---- page bodies -------------------------------------------------------------------------

/** An article page with a given title, paragraphs and extra `<head>` markup. */
function article(title: string, paragraphs: readonly string[], head = ''): string {
  const body = paragraphs.map((p) => `<p>${p}</p>`).join('\n')
  return `<!doctype html><html><head>${head}<title>${title}</title></head><body><article><h1>${title}</h1>${body}</article></body></html>`
}

const FRENCH_TITLE = 'Le café de la forêt'
const FRENCH = article(FRENCH_TITLE, [
  'Le café de la forêt ouvre très tôt le matin, et les randonneurs y prennent un déjeuner copieux avant de partir.',
  'La propriétaire prépare elle-même les gâteaux, les crêpes et une tarte aux pommes dont la recette vient de sa grand-mère.',
  'En été, la terrasse donne sur la rivière, où les enfants pêchent des truites pendant que les parents lisent sous les arbres.',
  'En hiver, on se réchauffe près de la cheminée avec un chocolat chaud et une part de gâteau à la châtaigne.',
  'Les habitants du village y viennent aussi le soir pour écouter de la musique et discuter des nouvelles de la vallée.',
  'Le café est fermé le lundi, mais il reste ouvert pendant les fêtes de Noël pour accueillir les voyageurs.',
])

const JAPANESE_TITLE = '東京の地下鉄の歴史'
const JAPANESE_PARAGRAPHS = [
  '東京の地下鉄は一九二七年に上野と浅草の間で開業しました。',
  '現在は十三の路線があり、毎日およそ八百万人が利用しています。',
  '駅の案内は日本語と英語で表示されているので、旅行者にも分かりやすいです。',
  '朝の通勤時間帯はとても混雑するため、時差通勤が勧められています。',
  '多くの駅にはホームドアが設置され、安全性が高まりました。',
  '運賃は距離によって決まり、交通系カードで支払うことができます。',
  '深夜には運行が終わるので、終電の時刻を確認することが大切です。',
  '地下鉄の路線図は色分けされていて、乗り換えも簡単に調べられます。',
]

/**
 * Encodes text in a legacy charset. Node has no encoder for them, so the table is the inverse
 * of TextDecoder's: every single byte, then every two-byte sequence, keeping the shortest.
 */
function encodeLegacy(text: string, label: string): Buffer {
  const decoder = new TextDecoder(label)
  const table = new Map<string, number[]>()
  const add = (bytes: number[]): void => {
    const char = decoder.decode(Uint8Array.from(bytes))
    if (char.length === 1 && char !== '\uFFFD' && !table.has(char)) table.set(char, bytes)
  }
  for (let b = 0; b < 0x100; b++) add([b])
  for (let lead = 0x81; lead < 0x100; lead++) for (let trail = 0x40; trail < 0x100; trail++) add([lead, trail])
  return Buffer.from(
    Array.from(text).flatMap((char) => {
      const bytes = table.get(char)
      if (bytes === undefined) throw new Error(`${JSON.stringify(char)} has no ${label} encoding`)
      return bytes
    }),
  )
}

/** Pseudo-random bytes with plenty of NULs and controls, like an image or an archive. */
const BINARY = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 2654435761) >>> 24))

// A valid multi-member gzip stream: about 100 KB on the wire, 100 MiB inflated.
const BOMB_MEMBER = gzipSync(Buffer.alloc(10 * MiB))
const GZIP_BOMB = Buffer.concat(Array.from({ length: BOMB_INFLATED_BYTES / (10 * MiB) }, () => BOMB_MEMBER))

// ---- the hostile server ------------------------------------------------------------------

/** Bytes each path handed to its socket, for the cases that must not be downloaded whole. */
const bytesSent = new Map<string, number>()

function count(path: string, bytes: number): void {
  bytesSent.set(path, (bytesSent.get(path) ?? 0) + bytes)
}

/** Streams `total` bytes as fast as the client reads them (respecting backpressure), stopping when it hangs up. */
function streamHuge(path: string, res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * KiB, 'a')
  let sent = 0
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      sent += chunk.byteLength
      count(path, chunk.byteLength)
      if (!res.write(chunk)) {
        res.once('drain', pump)
        return
      }
    }
    if (sent >= total) res.end()
  }
  pump()
}

function html(res: ServerResponse, body: string | Buffer, contentType = 'text/html'): void {
  res.writeHead(200, { 'content-type': contentType }).end(body)
}

function redirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { location }).end()
}

let server: TestServer

function handle(path: string, res: ServerResponse): void {
  const chain = /^\/chain\/(\d+)$/.exec(path)
  if (chain !== null) {
    const n = Number(chain[1])
    return n === 0 ? html(res, articlePage('the end of a chain')) : redirect(res, `/chain/${n - 1}`)
  }
  switch (path) {
    case '/redirect-file':
      return redirect(res, 'file:///etc/passwd')
    case '/redirect-data':
      return redirect(res, 'data:text/html,<script>alert(1)</script>')
    case '/redirect-javascript':
      return redirect(res, 'javascript:alert(document.cookie)', 301)
    case '/loop/a':
      return redirect(res, '/loop/b', 301)
    case '/loop/b':
      return redirect(res, `${server.url}/loop/a`, 308)
    case '/never':
      return // accepts the request and never answers
    case '/trickle': {
      // Every byte resets undici's body timeout; only the whole-page deadline can end this.
      res.writeHead(200, { 'content-type': 'text/html' })
      const bytes = Buffer.from(articlePage('patience'))
      let next = 0
      const send = (): void => void res.write(bytes.subarray(next, ++next))
      send()
      const timer = setInterval(send, TRICKLE_EVERY_MS)
      res.on('close', () => clearInterval(timer))
      return
    }
    case '/huge-declared':
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': String(HUGE_PAGE_BYTES) })
      return streamHuge(path, res, HUGE_PAGE_BYTES)
    case '/huge-chunked':
      res.writeHead(200, { 'content-type': 'text/html' })
      return streamHuge(path, res, HUGE_PAGE_BYTES)
    case '/gzip-bomb':
      count(path, GZIP_BOMB.byteLength)
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': String(GZIP_BOMB.byteLength) })
      return void res.end(GZIP_BOMB)
    case '/binary':
      return html(res, BINARY)
    case '/utf8-labelled-latin1':
      return html(res, Buffer.from(FRENCH, 'utf8'), 'text/html; charset=iso-8859-1')
    case '/cp1252-labelled-utf8':
      return html(res, encodeLegacy(FRENCH, 'windows-1252'), 'text/html; charset=utf-8')
    case '/sjis-meta':
      return html(res, encodeLegacy(article(JAPANESE_TITLE, JAPANESE_PARAGRAPHS, '<meta charset="Shift_JIS">'), 'shift_jis'))
    case '/sjis-unlabelled':
      return html(res, encodeLegacy(article(JAPANESE_TITLE, JAPANESE_PARAGRAPHS), 'shift_jis'))
    case '/empty':
      return html(res, '')
    case '/script-only':
      return html(res, '<html><head><script>var tracker = { id: 42 }</script></head><body><script>document.write("hello " + tracker.id)</script><noscript></noscript></body></html>')
    default:
      return html(res, articlePage(`page ${path}`))
  }
}

// ---- the run -----------------------------------------------------------------------------

/** The input file, line by line; `line` numbers below count comments and blank lines too. */
const INVALID_LINES = ['not a url', 'http://', 'http://exa mple.com/', '//example.com/no-scheme']
const NON_HTTP_LINES = ['file:///etc/passwd', 'data:text/html,<h1>hi</h1>', 'javascript:alert(1)', 'ftp://example.com/file.txt', 'mailto:someone@example.com']
const GOOD_PATHS = ['/good/1', '/good/2', '/good/3']
const HOSTILE_PATHS = [
  '/redirect-file',
  '/redirect-data',
  '/redirect-javascript',
  '/loop/a',
  `/chain/${MAX_REDIRECTS + 3}`,
  '/never',
  '/trickle',
  '/huge-declared',
  '/huge-chunked',
  '/gzip-bomb',
  '/binary',
  '/utf8-labelled-latin1',
  '/cp1252-labelled-utf8',
  '/sjis-meta',
  '/sjis-unlabelled',
  '/empty',
  '/script-only',
]

let lines: string[]
let records: PageRecord[]
let stats: RunStats
let runMs: number

beforeAll(async () => {
  server = await startServer((req, res) => handle(new URL(req.url ?? '/', 'http://x').pathname, res))
  const [good1 = '', good2 = '', good3 = ''] = GOOD_PATHS.map((p) => server.url + p)
  // Good pages first, in the middle and last, so a hostile page next to them would show.
  lines = [
    '# hostile input, among good pages',
    good1,
    '',
    ...INVALID_LINES,
    ...NON_HTTP_LINES,
    ...HOSTILE_PATHS.slice(0, 9).map((p) => server.url + p),
    good2,
    ...HOSTILE_PATHS.slice(9).map((p) => server.url + p),
    good3,
  ]
  const started = performance.now()
  ;({ records, stats } = await runLines(lines, {
    strategy: 'pool',
    threads: 2,
    concurrency: 32,
    fetchTimeoutMs: FETCH_TIMEOUT_MS,
    maxPageBytes: MAX_PAGE_BYTES,
    maxRedirects: MAX_REDIRECTS,
  }))
  runMs = performance.now() - started
})

afterAll(() => server.close())

function recordFor(line: string): PageRecord {
  const record = records.find((r) => r.url === line)
  if (record === undefined) throw new Error(`no record for ${line}`)
  return record
}

function recordAt(path: string): PageRecord {
  return recordFor(server.url + path)
}

/** 1-based line number of `text` in the input, as the record must report it. */
function lineOf(text: string): number {
  return lines.indexOf(text) + 1
}

/** The outcome a user sees: `ok` or the error code, and the message. */
function outcome(record: PageRecord): { code: string; message: string } {
  return record.status === 'ok' ? { code: 'ok', message: '' } : { code: record.error.code, message: record.error.message }
}

function requestsFor(path: string): number {
  return server.requests.filter((url) => new URL(url, 'http://x').pathname === path).length
}

/** Every case also checks that the good pages of its run came through. */
function expectGoodPagesOk(): void {
  for (const path of GOOD_PATHS) {
    const record = recordAt(path)
    expect(record.status, path).toBe('ok')
    expect(record.summary).toContain(`page ${path}`)
  }
}

// ---- one test per case -------------------------------------------------------------------

describe('hostile input lines', () => {
  it.each(INVALID_LINES)('a line that is not a URL (%j) is INVALID_URL with its line number, never fetched', (text) => {
    const record = recordFor(text)

    expect(outcome(record)).toEqual({ code: 'INVALID_URL', message: `line is not a URL: ${JSON.stringify(text)}` })
    expect(record.line).toBe(lineOf(text))
    expect(record.timingsMs.total).toBe(0)
    expectGoodPagesOk()
  })

  it.each(NON_HTTP_LINES)('a non-HTTP target (%s) is INVALID_URL naming its scheme, never fetched', (text) => {
    const record = recordFor(text)

    expect(record.error?.code).toBe('INVALID_URL')
    expect(record.error?.message).toBe(`only http: and https: URLs can be summarized, got ${new URL(text).protocol} in ${JSON.stringify(text)}`)
    expect(record.line).toBe(lineOf(text))
    expectGoodPagesOk()
  })
})

describe('hostile redirects', () => {
  it.each([
    ['/redirect-file', 'file:'],
    ['/redirect-data', 'data:'],
    ['/redirect-javascript', 'javascript:'],
  ])('a redirect from %s to a %s URL is BAD_REDIRECT naming the scheme', (path, scheme) => {
    expect(outcome(recordAt(path))).toEqual({ code: 'BAD_REDIRECT', message: `redirect to unsupported scheme ${scheme}` })
    expect(requestsFor(path)).toBe(1)
    expectGoodPagesOk()
  })

  it('a redirect loop is TOO_MANY_REDIRECTS as soon as it closes, after one request per hop', () => {
    expect(outcome(recordAt('/loop/a'))).toEqual({ code: 'TOO_MANY_REDIRECTS', message: `redirect loop back to ${server.url}/loop/a` })
    expect(requestsFor('/loop/a') + requestsFor('/loop/b')).toBe(2)
    expectGoodPagesOk()
  })

  it('a redirect chain longer than --max-redirects is TOO_MANY_REDIRECTS', () => {
    const record = recordAt(`/chain/${MAX_REDIRECTS + 3}`)

    expect(outcome(record)).toEqual({ code: 'TOO_MANY_REDIRECTS', message: `more than ${MAX_REDIRECTS} redirects (next was ${server.url}/chain/2)` })
    expect(server.requests.filter((url) => url.startsWith('/chain/'))).toHaveLength(MAX_REDIRECTS + 1)
    expectGoodPagesOk()
  })
})

describe('hostile servers', () => {
  it('a server that never answers is FETCH_TIMEOUT once the fetch timeout passes', () => {
    const record = recordAt('/never')

    expect(record.error?.code).toBe('FETCH_TIMEOUT')
    // The deadline or undici's headers timeout (same length, coarser clock), whichever fires first.
    expect(record.error?.message).toMatch(/^(page not complete within 2 s deadline|no response headers within 2 s)$/)
    expect(record.timingsMs.fetch).toBeGreaterThanOrEqual(FETCH_TIMEOUT_MS - 50)
    expectGoodPagesOk()
  })

  it('a body trickling one byte a second is FETCH_TIMEOUT at the whole-page deadline', () => {
    const record = recordAt('/trickle')

    expect(outcome(record)).toEqual({ code: 'FETCH_TIMEOUT', message: 'page not complete within 2 s deadline' })
    expect(record.timingsMs.fetch).toBeGreaterThanOrEqual(FETCH_TIMEOUT_MS - 50)
    expect(record.timingsMs.fetch).toBeLessThan(FETCH_TIMEOUT_MS + 1000)
    expectGoodPagesOk()
  })

  it('a 50 MB page with Content-Length is TOO_LARGE from the header, with little of the body sent', () => {
    expect(outcome(recordAt('/huge-declared'))).toEqual({ code: 'TOO_LARGE', message: `Content-Length ${HUGE_PAGE_BYTES} is over the 1 MiB limit` })
    expect(bytesSent.get('/huge-declared')).toBeLessThan(MAX_BYTES_SENT_FOR_HUGE_PAGE)
    expectGoodPagesOk()
  })

  it('a 50 MB page without Content-Length is TOO_LARGE once past the cap, with little of it sent', () => {
    expect(outcome(recordAt('/huge-chunked'))).toEqual({ code: 'TOO_LARGE', message: 'body larger than the 1 MiB limit' })
    expect(bytesSent.get('/huge-chunked')).toBeGreaterThan(MAX_PAGE_BYTES)
    expect(bytesSent.get('/huge-chunked')).toBeLessThan(MAX_BYTES_SENT_FOR_HUGE_PAGE)
    expectGoodPagesOk()
  })

  it('a gzip bomb is TOO_LARGE though only its small compressed body was sent', () => {
    expect(outcome(recordAt('/gzip-bomb'))).toEqual({ code: 'TOO_LARGE', message: 'body larger than the 1 MiB limit' })
    expect(bytesSent.get('/gzip-bomb')).toBe(GZIP_BOMB.byteLength)
    expect(GZIP_BOMB.byteLength).toBeLessThan(256 * KiB)
    expect(BOMB_INFLATED_BYTES).toBeGreaterThan(50 * MAX_PAGE_BYTES)
    expectGoodPagesOk()
  })
})

describe('hostile page content', () => {
  it('binary data served as text/html is UNSUPPORTED_CONTENT_TYPE saying it is binary', () => {
    const record = recordAt('/binary')

    expect(record.error?.code).toBe('UNSUPPORTED_CONTENT_TYPE')
    expect(record.error?.message).toMatch(/^the body is binary data, not text \(\d+% control characters\)$/)
    expectGoodPagesOk()
  })

  it('a UTF-8 page labelled iso-8859-1 is read as UTF-8 (the commonest wrong label)', () => {
    const record = recordAt('/utf8-labelled-latin1')

    expect(record.status).toBe('ok')
    expect(record.title).toBe(FRENCH_TITLE)
    expect(`${record.title} ${record.summary}`).not.toContain('\uFFFD')
    expectGoodPagesOk()
  })

  it('a windows-1252 page labelled utf-8 is re-decoded by guessing: none of its accents is UTF-8, and no U+FFFD reaches the record', () => {
    const record = recordAt('/cp1252-labelled-utf8')

    expect(record.status).toBe('ok')
    expect(record.title).toBe(FRENCH_TITLE)
    expect(record.charset).toEqual({ name: 'windows-1252', source: 'guessed' })
    expect(`${record.title} ${record.summary}`).not.toContain('\uFFFD')
    expectGoodPagesOk()
  })

  it('a Shift_JIS page with a <meta charset> and no header charset is decoded correctly', () => {
    const record = recordAt('/sjis-meta')

    expect(record.status).toBe('ok')
    expect(record.title).toBe(JAPANESE_TITLE)
    expect(JAPANESE_PARAGRAPHS.some((p) => record.summary?.includes(p.slice(0, 8)))).toBe(true)
    expectGoodPagesOk()
  })

  it('a Shift_JIS page with no charset anywhere is decoded by guessing, and the record says so', () => {
    const record = recordAt('/sjis-unlabelled')

    expect(record.status).toBe('ok')
    expect(record.title).toBe(JAPANESE_TITLE)
    expect(record.charset).toEqual({ name: 'shift_jis', source: 'guessed' })
    expectGoodPagesOk()
  })

  it('an empty page is NO_TEXT', () => {
    expect(outcome(recordAt('/empty'))).toEqual({ code: 'NO_TEXT', message: 'the page has no readable text' })
    expectGoodPagesOk()
  })

  it('a page of nothing but <script> is NO_TEXT', () => {
    expect(outcome(recordAt('/script-only'))).toEqual({ code: 'NO_TEXT', message: 'the page has no readable text' })
    expectGoodPagesOk()
  })
})

describe('hostile input costs nothing else', () => {
  it('every line gets exactly one record, in input order, and the counts add up', () => {
    const urlLines = lines.filter((line) => line !== '' && !line.startsWith('#'))
    expect(records.map((r) => r.url)).toEqual(urlLines)
    expect(records.map((r) => r.line)).toEqual(urlLines.map(lineOf))
    const ok = ['/utf8-labelled-latin1', '/cp1252-labelled-utf8', '/sjis-meta', '/sjis-unlabelled', ...GOOD_PATHS]
    expect(stats).toMatchObject({ pages: urlLines.length, ok: ok.length, failed: urlLines.length - ok.length })
    expectGoodPagesOk()
  })

  it('no page was fetched twice (no retry of a hostile page) and no redirect left the server', () => {
    const paths = server.requests.map((url) => new URL(url, 'http://x').pathname)
    expect(new Set(paths).size).toBe(paths.length)
    for (const path of [...GOOD_PATHS, ...HOSTILE_PATHS]) expect(requestsFor(path), path).toBe(1)
  })

  it('the run takes about one fetch deadline, not the sum of the slow pages', () => {
    // Two pages wait out the 2 s deadline side by side; pool start-up overlaps them.
    expect(runMs).toBeLessThan(FETCH_TIMEOUT_MS + 3000)
  })
})

describe('--deny-private in a run', () => {
  it('records a loopback page as BLOCKED_ADDRESS without a request reaching it, and fetches it without the flag', async () => {
    const before = server.requests.length
    const url = `${server.url}/internal`

    const denied = await runLines([url], { strategy: 'async', concurrency: 1, denyPrivate: true })
    const requestsWhileDenied = server.requests.length - before
    const allowed = await runLines([url], { strategy: 'async', concurrency: 1 })

    expect(denied.records.map(outcome)).toEqual([{ code: 'BLOCKED_ADDRESS', message: 'refused 127.0.0.1 (loopback) for host 127.0.0.1: --deny-private' }])
    expect(requestsWhileDenied).toBe(0)
    expect(allowed.records.map((r) => r.status)).toEqual(['ok'])
  })
})
