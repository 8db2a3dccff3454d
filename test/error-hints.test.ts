import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HINTS, hintFor } from '../src/error-hints.js'
import { ERROR_CODES } from '../src/errors.js'
import { parseJsonl, runCli } from './helpers/cli.js'
import { articlePage, startServer, type TestServer } from './helpers/servers.js'

let site: TestServer

// One real site whose pages fail in the ways a user can do something about, and one they cannot.
beforeAll(async () => {
  site = await startServer((req, res) => {
    const ua = req.headers['user-agent'] ?? ''
    switch (req.url) {
      case '/browsers-only':
        // Refuses clients it does not know, as some CDNs do.
        if (!ua.includes('Mozilla/')) return void res.writeHead(403).end('Forbidden')
        return void res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage('harbours'))
      case '/archive.zip':
        return void res.writeHead(200, { 'content-type': 'application/zip' }).end(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]))
      case '/slow':
        // Headers, then nothing: the 1 s page deadline ends it.
        res.writeHead(200, { 'content-type': 'text/html' }).write('<!doctype html><html><body><p>')
        return
      case '/no-text':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body></body></html>')
      default:
        return void res.writeHead(404).end()
    }
  })
})
afterAll(() => site.close())

describe('a failed page carries a hint where there is a next step', () => {
  it('403, an archive and 404 records name what to try; a page with no text has no hint', async () => {
    const urls = ['/browsers-only', '/archive.zip', '/gone', '/no-text'].map((path) => `${site.url}${path}`)
    const { code, stdout } = await runCli(['-', '--provider', 'extractive', '--quiet'], { stdin: `${urls.join('\n')}\n` })
    expect(code).toBe(1)
    const errors = parseJsonl(stdout).map((record) => record['error'] as { code: string; hint?: string })
    expect(errors.map((e) => e.code)).toEqual(['HTTP_STATUS', 'UNSUPPORTED_CONTENT_TYPE', 'HTTP_STATUS', 'NO_TEXT'])
    expect(errors[0]?.hint).toContain('--user-agent')
    expect(errors[1]?.hint).toContain('reads HTML, XHTML, plain text and PDF')
    expect(errors[2]?.hint).toContain('check the URL')
    expect(errors[3]).not.toHaveProperty('hint')
  }, 60_000)

  it('a page that misses the deadline names --fetch-timeout', async () => {
    // Alone in its run, so the 1 s deadline can only end this page.
    const { stdout } = await runCli(['-', '--provider', 'extractive', '--fetch-timeout', '1', '--quiet'], { stdin: `${site.url}/slow\n` })
    const error = parseJsonl(stdout)[0]?.['error'] as { code: string; hint?: string }
    expect(error.code).toBe('FETCH_TIMEOUT')
    expect(error.hint).toContain('--fetch-timeout')
  }, 60_000)

  it('the 403 hint is right: the same page with a browser User-Agent is summarized', async () => {
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0'
    const { code, stdout } = await runCli(['-', '--provider', 'extractive', '--user-agent', ua, '--quiet'], { stdin: `${site.url}/browsers-only\n` })
    expect(code).toBe(0)
    expect(parseJsonl(stdout)[0]?.['status']).toBe('ok')
  })

  it('--format csv has the hint in its own column', async () => {
    const { stdout } = await runCli(['-', '--provider', 'extractive', '--format', 'csv', '--quiet'], { stdin: `${site.url}/archive.zip\n` })
    const [header, row] = stdout.split('\r\n')
    expect(header?.split(',').at(-1)).toBe('errorHint')
    expect(row).toContain('leave such URLs out of the list')
  })

  it('every row of the table names a known code, and a code with context rows gives none without context', () => {
    for (const row of HINTS) expect(Object.values(ERROR_CODES)).toContain(row.code)
    expect(hintFor('HTTP_STATUS')).toBeUndefined()
    expect(hintFor('HTTP_STATUS', { httpStatus: 503 })).toContain('--resume')
    expect(hintFor('TOO_MANY_REDIRECTS', { redirects: 'loop' })).toBeUndefined()
  })
})
