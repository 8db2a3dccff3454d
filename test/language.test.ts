import { describe, expect, it } from 'vitest'
import { detectLanguage, normalizeLangTag } from '../src/language.js'

describe('detectLanguage', () => {
  it('tells Japanese from Chinese by the kana among the Han characters', () => {
    expect(detectLanguage('昨日、友達と一緒に東京の美術館へ行きました。')).toBe('ja')
    expect(detectLanguage('我们昨天去了北京的博物馆，非常有意思。')).toBe('zh')
    expect(detectLanguage('臺北市政府今日公布新的交通政策')).toBe('zh')
  })

  it('keeps Japanese text full of English product names Japanese', () => {
    expect(detectLanguage('ReactとTypeScriptでWebアプリケーションのUIコンポーネントを書く方法を説明します')).toBe('ja')
  })

  it('names single-language scripts even in a short title', () => {
    expect(detectLanguage('오늘의 뉴스')).toBe('ko')
    expect(detectLanguage('ข่าววันนี้')).toBe('th')
    expect(detectLanguage('חדשות היום')).toBe('he')
    expect(detectLanguage('Ειδήσεις σήμερα')).toBe('el')
    expect(detectLanguage('أخبار اليوم')).toBe('ar')
  })

  it('tells Latin-script languages apart by trigrams once the text is long enough', () => {
    const english = 'The committee met on Tuesday to discuss the budget for the coming year and agreed to publish the minutes.'
    const german = 'Der Ausschuss traf sich am Dienstag, um den Haushalt für das kommende Jahr zu besprechen, und beschloss die Veröffentlichung.'
    const spanish = 'El comité se reunió el martes para discutir el presupuesto del próximo año y acordó publicar las actas la semana que viene.'
    expect(detectLanguage(english)).toBe('en')
    expect(detectLanguage(german)).toBe('de')
    expect(detectLanguage(spanish)).toBe('es')
  })

  it('gives no guess for short Latin text, text without letters, or nothing', () => {
    expect(detectLanguage('Opening hours')).toBe('')
    expect(detectLanguage('12:30 – 14:00, €25')).toBe('')
    expect(detectLanguage('')).toBe('')
  })
})

describe('normalizeLangTag', () => {
  it('canonicalises tags from markup', () => {
    expect(normalizeLangTag('en_US')).toBe('en-US')
    expect(normalizeLangTag(' EN-gb ')).toBe('en-GB')
    expect(normalizeLangTag('zh_hant_tw')).toBe('zh-Hant-TW')
    expect(normalizeLangTag('iw')).toBe('he')
  })

  it('takes the first tag of a Content-Language list', () => {
    expect(normalizeLangTag('de-AT, en')).toBe('de-AT')
  })

  it('returns an empty string for missing, undetermined or malformed tags', () => {
    for (const tag of [undefined, null, '', '  ', 'und', 'x-default', 'not a tag!']) {
      expect(normalizeLangTag(tag)).toBe('')
    }
  })
})
