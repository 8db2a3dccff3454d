import { describe, expect, it } from 'vitest'
import { decodePage, unreadableReason } from '../src/decode.js'

// 'こんにちは' as written by the legacy Japanese encodings (Node has no encoder for them).
const HELLO_SHIFT_JIS = [0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd]
const HELLO_EUC_JP = [0xa4, 0xb3, 0xa4, 0xf3, 0xa4, 0xcb, 0xa4, 0xc1, 0xa4, 0xcf]
const HELLO = 'こんにちは'

/** An HTML page whose `<head>` is ASCII and whose body is the given raw bytes. */
function page(head: string, body: number[]): Uint8Array {
  const ascii = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'))
  return Uint8Array.from([...ascii(`<!doctype html><html><head>${head}</head><body><p>`), ...body, ...ascii('</p></body></html>')])
}

function bodyText(html: string): string {
  return /<p>(.*)<\/p>/s.exec(html)?.[1] ?? ''
}

describe('decodePage', () => {
  it('decodes a Shift_JIS page named by its meta charset', () => {
    const decoded = decodePage(page('<meta charset="Shift_JIS">', HELLO_SHIFT_JIS), { contentType: 'text/html' })
    expect(decoded.charset.name).toBe('shift_jis')
    expect(bodyText(decoded.text)).toBe(HELLO)
  })

  it('decodes an EUC-JP page named by a meta http-equiv Content-Type', () => {
    const head = `<meta http-equiv="Content-Type" content="text/html; charset=EUC-JP">`
    const decoded = decodePage(page(head, HELLO_EUC_JP), { contentType: 'text/html' })
    expect(decoded.charset.name).toBe('euc-jp')
    expect(bodyText(decoded.text)).toBe(HELLO)
  })

  it('reads an unquoted http-equiv charset with odd spacing and case', () => {
    const head = `<META HTTP-EQUIV=content-type CONTENT='text/html;charset = shift_jis'>`
    const decoded = decodePage(page(head, HELLO_SHIFT_JIS), { contentType: 'text/html' })
    expect(decoded.charset.name).toBe('shift_jis')
    expect(bodyText(decoded.text)).toBe(HELLO)
  })

  it('lets the Content-Type header charset win over a meta that disagrees', () => {
    const decoded = decodePage(page('<meta charset="shift_jis">', HELLO_EUC_JP), {
      headerCharset: 'EUC-JP',
      contentType: 'text/html',
    })
    expect(decoded.charset.name).toBe('euc-jp')
    expect(bodyText(decoded.text)).toBe(HELLO)
  })

  it('uses the meta when the header has no charset', () => {
    const decoded = decodePage(page('<meta charset="euc-jp">', HELLO_EUC_JP), {
      headerCharset: undefined,
      contentType: 'text/html',
    })
    expect(decoded.charset.name).toBe('euc-jp')
  })

  it('falls through an unknown header charset to the meta, and an unknown meta to UTF-8', () => {
    const withMeta = decodePage(page('<meta charset="shift_jis">', HELLO_SHIFT_JIS), {
      headerCharset: 'no-such-charset',
      contentType: 'text/html',
    })
    expect(withMeta.charset.name).toBe('shift_jis')
    expect(bodyText(withMeta.text)).toBe(HELLO)

    const utf8 = Array.from(Buffer.from(HELLO, 'utf8'))
    const withJunkMeta = decodePage(page('<meta charset="klingon">', utf8), {
      headerCharset: '',
      contentType: 'text/html',
    })
    expect(withJunkMeta.charset.name).toBe('utf-8')
    expect(bodyText(withJunkMeta.text)).toBe(HELLO)
  })

  it('skips a meta that sits inside a comment', () => {
    const decoded = decodePage(page('<!-- <meta charset="utf-8"> --><meta charset="shift_jis">', HELLO_SHIFT_JIS), {
      contentType: 'text/html',
    })
    expect(decoded.charset.name).toBe('shift_jis')
  })

  it('reads a meta that claims UTF-16 as UTF-8, as the HTML spec says', () => {
    const utf8 = Array.from(Buffer.from(HELLO, 'utf8'))
    const decoded = decodePage(page('<meta charset="utf-16">', utf8), { contentType: 'text/html' })
    expect(decoded.charset.name).toBe('utf-8')
    expect(bodyText(decoded.text)).toBe(HELLO)
  })

  it('ignores a meta charset in text/plain', () => {
    const decoded = decodePage(page('<meta charset="shift_jis">', Array.from(Buffer.from(HELLO, 'utf8'))), {
      contentType: 'text/plain',
    })
    expect(decoded.charset.name).toBe('utf-8')
    expect(bodyText(decoded.text)).toBe(HELLO)
  })

  it('decodes by the byte order mark and strips it', () => {
    const utf8 = Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from(`<p>${HELLO}</p>`, 'utf8')])
    expect(decodePage(utf8, { contentType: 'text/html' })).toEqual({ text: `<p>${HELLO}</p>`, charset: { name: 'utf-8', source: 'bom' } })

    const utf16le = Uint8Array.from([0xff, 0xfe, ...Buffer.from(`<p>${HELLO}</p>`, 'utf16le')])
    expect(decodePage(utf16le, { contentType: 'text/plain' })).toEqual({ text: `<p>${HELLO}</p>`, charset: { name: 'utf-16le', source: 'bom' } })

    const utf16be = Uint8Array.from([0xfe, 0xff, ...Buffer.from(`<p>${HELLO}</p>`, 'utf16le').swap16()])
    expect(decodePage(utf16be, { contentType: 'text/html' })).toEqual({ text: `<p>${HELLO}</p>`, charset: { name: 'utf-16be', source: 'bom' } })
  })

  it('trusts a byte order mark over a header charset that contradicts it', () => {
    const bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...Buffer.from(`<p>${HELLO}</p>`, 'utf8')])
    const decoded = decodePage(bytes, { headerCharset: 'iso-8859-1', contentType: 'text/html' })
    expect(decoded).toEqual({ text: `<p>${HELLO}</p>`, charset: { name: 'utf-8', source: 'bom' } })
  })

  it('reads mostly-UTF-8 bytes as UTF-8, leaving out (and counting) a stray byte instead of passing on U+FFFD', () => {
    const bytes = new Uint8Array([...Buffer.from('<p>Привет, мир: ', 'utf8'), 0xff, ...Buffer.from('こんにちは</p>', 'utf8')])
    expect(decodePage(bytes, { contentType: 'text/html' })).toEqual({ text: '<p>Привет, мир: こんにちは</p>', charset: { name: 'utf-8', source: 'utf-8', undecodable: 1 } })
  })

  it('keeps a U+FFFD the page itself carries', () => {
    const bytes = Buffer.from('<p>a \uFFFD b</p>', 'utf8')
    expect(decodePage(bytes, { contentType: 'text/html' })).toEqual({ text: '<p>a \uFFFD b</p>', charset: { name: 'utf-8', source: 'utf-8' } })
  })

  it('accepts a quoted header charset and reports the canonical encoding name', () => {
    const decoded = decodePage(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), { headerCharset: '"Latin1"', contentType: 'text/plain' })
    expect(decoded).toEqual({ text: 'café', charset: { name: 'windows-1252', source: 'header' } })
  })

  it('decodes windows-1252 quotes, dashes and the euro sign, which Node 20 turns into control characters', () => {
    // “Café” – 5 € … : 0x93 0x94 0x96 0x80 0x85 are windows-1252, not C1 controls.
    const bytes = Uint8Array.from([0x93, 0x43, 0x61, 0x66, 0xe9, 0x94, 0x20, 0x96, 0x20, 0x35, 0x20, 0x80, 0x20, 0x85])
    for (const label of ['windows-1252', 'iso-8859-1', 'latin1']) {
      const decoded = decodePage(bytes, { headerCharset: label, contentType: 'text/plain' })
      expect(decoded).toEqual({ text: '“Café” – 5 € …', charset: { name: 'windows-1252', source: 'header' } })
      expect(unreadableReason(decoded)).toBeUndefined()
    }
  })

  it('finds a meta beyond the first kilobyte but within the prescan window', () => {
    const padding = `<meta name="description" content="${'x'.repeat(2000)}">`
    const decoded = decodePage(page(`${padding}<meta charset="shift_jis">`, HELLO_SHIFT_JIS), { contentType: 'text/html' })
    expect(decoded.charset.name).toBe('shift_jis')
  })
})

describe('mislabelled and unreadable bytes', () => {
  const utf8Chinese = new TextEncoder().encode('<html><head><meta charset="gb2312"><title>深度学习</title></head><body><p>这是一个用UTF-8编码的中文页面。</p></body></html>')

  it('reads valid UTF-8 as UTF-8 even when the page declares a legacy charset', () => {
    const decoded = decodePage(utf8Chinese, { contentType: 'text/html' })
    expect(decoded.charset.name).toBe('utf-8')
    expect(decoded.text).toContain('这是一个用UTF-8编码的中文页面。')
    expect(decodePage(utf8Chinese, { headerCharset: 'iso-8859-1', contentType: 'text/html' }).charset.name).toBe('utf-8')
  })

  it('still honours a legacy charset when the bytes are not valid UTF-8', () => {
    const sjis = new Uint8Array([...new TextEncoder().encode('<html><body><p>'), 0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd, ...new TextEncoder().encode('</p></body></html>')])
    expect(decodePage(sjis, { headerCharset: 'shift_jis', contentType: 'text/html' }).text).toContain('こんにちは')
  })

  it('finds a <meta charset> that comes after 10 KB of comments and scripts in the head', () => {
    const filler = `<!-- ${'x'.repeat(6000)} --><script>${'var a = 1;'.repeat(500)}</script>`
    const bytes = new Uint8Array([...new TextEncoder().encode(`<html><head>${filler}<meta charset="shift_jis"></head><body><p>`), 0x82, 0xb1, 0x82, 0xf1, ...new TextEncoder().encode('</p></body></html>')])
    expect(decodePage(bytes, { contentType: 'text/html' }).charset.name).toBe('shift_jis')
  })

  it('ignores a <meta charset> in the body, which is content rather than a declaration', () => {
    const bytes = new TextEncoder().encode('<html><head><title>t</title></head><body><meta charset="shift_jis"><p>plain ascii</p></body></html>')
    expect(decodePage(bytes, { contentType: 'text/html' }).charset.name).toBe('utf-8')
  })

  it('calls binary data served as text/html binary', () => {
    const random = new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24)
    expect(unreadableReason(decodePage(random, { contentType: 'text/html' }))?.binary).toBe(true)
    expect(unreadableReason(decodePage(utf8Chinese, { contentType: 'text/html' }))).toBeUndefined()
  })

  it('re-decodes a Shift_JIS page labelled UTF-8 by guessing, since almost none of it is UTF-8', () => {
    // 'こんにちは世界。' in Shift_JIS, repeated.
    const sjis = new Uint8Array(Array.from({ length: 200 }, () => [0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd, 0x90, 0xa2, 0x8a, 0x45, 0x81, 0x42]).flat())
    const decoded = decodePage(sjis, { headerCharset: 'utf-8', contentType: 'text/html' })
    expect(decoded.charset).toEqual({ name: 'shift_jis', source: 'guessed' })
    expect(decoded.text.startsWith('こんにちは世界。こんにちは世界。')).toBe(true)
    expect(unreadableReason(decoded)).toBeUndefined()
  })

  it('calls a page unreadable, with a --charset hint, when the charset it is decoded with leaves most of it out', () => {
    // Shift_JIS bytes, forced to UTF-8: nothing second-guesses --charset.
    const sjis = new Uint8Array(Array.from({ length: 50 }, () => [0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd]).flat())
    const decoded = decodePage(sjis, { headerCharset: 'shift_jis', forcedCharset: 'utf-8', contentType: 'text/plain' })
    expect(decoded.charset).toMatchObject({ name: 'utf-8', source: 'forced' })
    expect(decoded.text).not.toContain('\uFFFD')
    const reason = unreadableReason(decoded)
    expect(reason).toMatchObject({ binary: false, hint: expect.stringContaining('--charset') })
    expect(reason?.message).toMatch(/^the body is not readable as utf-8 \(\d+% undecodable\)/)
  })
})
