import type { ServerResponse } from 'node:http'
import iconv from 'iconv-lite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveOptions } from '../src/options.js'
import type { PageRecord } from '../src/record.js'
import { runLines } from './helpers/run.js'
import { startServer, type TestServer } from './helpers/servers.js'

// Short pages (a few hundred bytes of text) that declare no charset anywhere: no header
// charset, no <meta>. Their bytes come from real text through iconv-lite's encoders.

interface Sample {
  path: string
  /** iconv-lite's name for the encoder. */
  encoding: string
  /** What TextDecoder calls the charset the page must be read as. */
  expected: string[]
  title: string
  paragraphs: string[]
}

const SAMPLES: Sample[] = [
  {
    path: '/shift_jis', encoding: 'Shift_JIS', expected: ['shift_jis'], title: '港の穀物輸出が過去最高に',
    paragraphs: ['バルモン港の今年の穀物取扱量は、記録が始まって以来最も多くなった。', '港の関係者は、干潮時でも大型の貨物船が着岸できる新しい岸壁のおかげだと話している。', '輸出された穀物の多くは小麦で、北アフリカへ運ばれた。'],
  },
  {
    path: '/euc-jp', encoding: 'EUC-JP', expected: ['euc-jp'], title: '図書館が夏の間休館',
    paragraphs: ['市立図書館は改修工事のため、夏の間休館することになった。', '休館中は、近くの小学校で本の貸し出しを続ける予定だという。', '工事は九月に終わり、新しい閲覧室が開かれる。'],
  },
  {
    path: '/gbk', encoding: 'GBK', expected: ['gbk', 'gb18030'], title: '港口粮食出口创新高',
    paragraphs: ['今年瓦尔蒙港的粮食吞吐量创下有记录以来的最高水平。', '港口官员表示，新建的深水泊位让大型散货船在退潮时也能靠岸。', '出口的粮食大部分是小麦，主要运往北非。'],
  },
  {
    path: '/big5', encoding: 'Big5', expected: ['big5'], title: '港口糧食出口創新高',
    paragraphs: ['今年瓦爾蒙港的糧食吞吐量創下有紀錄以來的最高水準。', '港口官員表示，新建的深水碼頭讓大型散裝貨船在退潮時也能靠岸。', '出口的糧食大部分是小麥，主要運往北非。'],
  },
  {
    path: '/euc-kr', encoding: 'EUC-KR', expected: ['euc-kr'], title: '항구 곡물 수출 사상 최대',
    paragraphs: ['올해 발몽 항구의 곡물 처리량은 기록이 시작된 이후 가장 많았다.', '항구 관계자들은 썰물 때에도 대형 화물선이 정박할 수 있는 새 부두 덕분이라고 말했다.', '수출된 곡물의 대부분은 밀이며 북아프리카로 보내졌다.'],
  },
  {
    path: '/windows-1251', encoding: 'windows-1251', expected: ['windows-1251'], title: 'Порт побил рекорд по вывозу зерна',
    paragraphs: ['В этом году порт Вальмон перевалил больше зерна, чем за все годы наблюдений.', 'Работники порта объясняют рост новым глубоководным причалом, у которого крупные суда могут стоять даже в отлив.', 'Большая часть зерна — пшеница для Северной Африки.'],
  },
  {
    path: '/koi8-r', encoding: 'KOI8-R', expected: ['koi8-r'], title: 'Библиотека закрывается на лето',
    paragraphs: ['Городская библиотека закроется на лето из-за ремонта.', 'Пока идёт ремонт, книги можно будет брать в соседней школе.', 'Работы закончатся в сентябре, и читатели увидят новый читальный зал.'],
  },
  {
    path: '/windows-1252', encoding: 'windows-1252', expected: ['windows-1252'], title: 'Le théâtre municipal sera rénové',
    paragraphs: ['Le conseil municipal a approuvé la rénovation du théâtre à l’unanimité.', 'Les travaux débuteront en été et coûteront près de deux millions d’euros.', '« Ce théâtre fait partie de notre histoire », a déclaré le maire.'],
  },
]

function page(sample: Pick<Sample, 'title' | 'paragraphs'>): string {
  // No <meta charset>, and a little of the markup real pages carry.
  return `<!doctype html><html><head><title>${sample.title}</title><link rel="stylesheet" href="/site.css"></head><body><nav><a href="/">Top</a></nav><article><h1>${sample.title}</h1>${sample.paragraphs.map((p) => `<p>${p}</p>`).join('')}</article></body></html>`
}

const UTF8_PAGES: Record<string, string> = {
  '/utf8-japanese': page(SAMPLES[0] as Sample),
  '/utf8-russian': page(SAMPLES[5] as Sample),
  '/utf8-french': page(SAMPLES[7] as Sample),
  '/utf8-ascii': page({ title: 'Harbour news', paragraphs: ['The harbour handled more grain this year than ever before, port officials said on Monday.'] }),
}

let server: TestServer
let records: PageRecord[]
let forced: PageRecord[]

beforeAll(async () => {
  server = await startServer((req, res) => serve(new URL(req.url ?? '/', 'http://x').pathname, res))
  const urls = [...SAMPLES.map((s) => server.url + s.path), ...Object.keys(UTF8_PAGES).map((p) => server.url + p), `${server.url}/utf8-with-stray-bytes`, `${server.url}/utf8-own-replacement-character`]
  ;({ records } = await runLines(urls, { strategy: 'async', concurrency: 4 }))
  ;({ records: forced } = await runLines([`${server.url}/shift_jis-labelled-utf8`], { strategy: 'async', charset: 'Shift_JIS' }))
}, 60_000)

afterAll(() => server?.close())

function serve(path: string, res: ServerResponse): void {
  const sample = SAMPLES.find((s) => s.path === path)
  const html = (body: Buffer, type = 'text/html'): void => void res.writeHead(200, { 'content-type': type }).end(body)
  if (sample !== undefined) return html(iconv.encode(page(sample), sample.encoding))
  if (path in UTF8_PAGES) return html(Buffer.from(UTF8_PAGES[path] as string, 'utf8'))
  if (path === '/utf8-with-stray-bytes') {
    // A UTF-8 page with a Latin-1 byte pasted in and a character cut short: damaged, still UTF-8.
    const [before, after] = (UTF8_PAGES['/utf8-russian'] as string).split('Большая')
    return html(Buffer.concat([Buffer.from(before as string, 'utf8'), Buffer.from([0xe9, 0xd0]), Buffer.from(`Большая${after}`, 'utf8')]))
  }
  if (path === '/utf8-own-replacement-character') return html(Buffer.from(page({ title: 'Broken glyphs \uFFFD explained', paragraphs: ['The replacement character \uFFFD marks text a program could not decode, and this page is about it.'] }), 'utf8'))
  if (path === '/shift_jis-labelled-utf8') return html(iconv.encode(page(SAMPLES[0] as Sample), 'Shift_JIS'), 'text/html; charset=utf-8')
  res.writeHead(404).end()
}

function recordAt(path: string, from = records): PageRecord {
  const record = from.find((r) => r.url === server.url + path)
  if (record === undefined) throw new Error(`no record for ${path}`)
  return record
}

describe('pages that declare no charset', () => {
  it.each(SAMPLES.map((s) => [s.path.slice(1), s] as const))('a short %s page is summarised with readable text, its charset guessed', (_name, sample) => {
    const record = recordAt(sample.path)
    expect(record.status, JSON.stringify(record.error)).toBe('ok')
    expect(record.title).toBe(sample.title)
    expect(sample.expected).toContain(record.charset?.name)
    expect(record.charset?.source).toBe('guessed')
    // The summary is sentences of the page, as written.
    const sentences = sample.paragraphs.filter((p) => record.summary?.includes(p.slice(0, 12)))
    expect(sentences.length).toBeGreaterThan(0)
    expect(`${record.title} ${record.summary}`).not.toContain('\uFFFD')
  })

  it('never guesses a UTF-8 page as something else', () => {
    for (const path of Object.keys(UTF8_PAGES)) expect(recordAt(path).charset, path).toEqual({ name: 'utf-8', source: 'utf-8' })
  })

  it('reads a damaged UTF-8 page as UTF-8, and no U+FFFD the page did not carry reaches the record', () => {
    const record = recordAt('/utf8-with-stray-bytes')
    expect(record.status).toBe('ok')
    expect(record.charset).toEqual({ name: 'utf-8', source: 'utf-8', undecodable: 2 })
    expect(record.title).toBe('Порт побил рекорд по вывозу зерна')
    expect(`${record.title} ${record.summary}`).not.toContain('\uFFFD')
  })

  it('keeps a U+FFFD the page itself carries', () => {
    expect(recordAt('/utf8-own-replacement-character')).toMatchObject({ status: 'ok', title: 'Broken glyphs \uFFFD explained', charset: { name: 'utf-8', source: 'utf-8' } })
  })
})

describe('--charset', () => {
  it('decodes every page with the charset given, whatever the page says', () => {
    const record = recordAt('/shift_jis-labelled-utf8', forced)
    expect(record).toMatchObject({ status: 'ok', title: SAMPLES[0]?.title, charset: { name: 'shift_jis', source: 'forced' } })
  })

  it('refuses a name TextDecoder does not know, saying what it takes', () => {
    expect(() => resolveOptions({ charset: 'klingon' })).toThrow(new TypeError('--charset must be a charset TextDecoder knows (an Encoding Standard label such as shift_jis, euc-jp, gbk, big5, euc-kr, windows-1251, koi8-r, windows-1252), got `klingon`'))
    // iso-2022-kr is a label of the "replacement" encoding, which decodes nothing.
    expect(() => resolveOptions({ charset: 'iso-2022-kr' })).toThrow(TypeError)
    expect(resolveOptions({ charset: 'SJIS' }).charset).toBe('shift_jis')
  })
})
