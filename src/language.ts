import { franc } from 'franc-min'
// The mapping alone (2.5 KB): the package's index also loads its 780 KB table of every
// language, 60-70 ms of every process and every pool thread here (`bench --workload startup`).
import { iso6393To1 } from 'iso-639-3/iso6393-to-1.js'

/** Enough text to be sure of the script; franc itself looks at no more than 2048 characters. */
const SAMPLE_CHARS = 4000
/**
 * Shorter text gets no trigram guess: measured on this project's page corpus, franc-min
 * names English right for 49% of 20-character snippets, 74% at 50, 91% at 120 (Czech:
 * 47%, 64%, 90%), and a wrong language is worse for a summary than none.
 */
const FRANC_MIN_CHARS = 100
/** A script must cover this share of the letters to decide the language by itself. */
const DOMINANT_SHARE = 0.5
/**
 * The same for Han, kana and Hangul, whose one character carries about what a short
 * Latin word does: a Japanese article full of English product names is still Japanese.
 */
const DENSE_SCRIPT_SHARE = 0.3
/**
 * Share of kana among Han and kana letters from which CJK text is Japanese. Even dense
 * Japanese prose is well above it; Chinese text rarely has kana beyond a stylised の.
 */
const JAPANESE_KANA_SHARE = 0.1

const LETTER = /\p{L}/gu
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/gu
const HAN = /\p{Script=Han}/gu
const HANGUL = /\p{Script=Hangul}/gu
/** Scripts that name one language well enough on their own, even in a short title. */
const SINGLE_LANGUAGE_SCRIPTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\p{Script=Thai}/gu, 'th'],
  [/\p{Script=Hebrew}/gu, 'he'],
  [/\p{Script=Greek}/gu, 'el'],
]
const ARABIC = /\p{Script=Arabic}/gu
/** The Arabic-script languages franc-min knows; Arabic itself when the text is too short to tell. */
const ARABIC_SCRIPT_LANGUAGES = ['arb', 'urd', 'pes', 'skr', 'pbu']

/**
 * Guesses the BCP 47 language of a text, or '' when it cannot tell. The script decides
 * first (franc-min would call Japanese with many kanji Chinese, and knows no Hebrew);
 * trigrams (franc-min) decide among languages that share a script.
 */
export function detectLanguage(text: string): string {
  const sample = text.length > SAMPLE_CHARS ? text.slice(0, SAMPLE_CHARS) : text
  const letters = count(sample, LETTER)
  if (letters === 0) return ''
  const dominant = (n: number): boolean => n >= letters * DOMINANT_SHARE

  const kana = count(sample, KANA)
  const han = count(sample, HAN)
  const hangul = count(sample, HANGUL)
  if (hangul > kana + han && hangul >= letters * DENSE_SCRIPT_SHARE) return 'ko'
  if (kana + han >= letters * DENSE_SCRIPT_SHARE) return kana >= (kana + han) * JAPANESE_KANA_SHARE ? 'ja' : 'zh'
  for (const [script, lang] of SINGLE_LANGUAGE_SCRIPTS) {
    if (dominant(count(sample, script))) return lang
  }
  if (dominant(count(sample, ARABIC))) {
    return fromIso6393(franc(sample, { minLength: FRANC_MIN_CHARS, only: ARABIC_SCRIPT_LANGUAGES })) || 'ar'
  }
  return fromIso6393(franc(sample, { minLength: FRANC_MIN_CHARS }))
}

/**
 * Canonical BCP 47 form of a language tag from markup ('en_US' -> 'en-US', 'iw' -> 'he',
 * 'EN-gb' -> 'en-GB'), or '' when the tag is missing, undetermined or not well-formed.
 * A list ('de, en', as Content-Language allows) yields its first tag.
 */
export function normalizeLangTag(tag: string | null | undefined): string {
  const first = tag?.split(',')[0]?.trim().replaceAll('_', '-')
  if (!first) return ''
  try {
    const [canonical] = Intl.getCanonicalLocales(first)
    return canonical === undefined || canonical === 'und' ? '' : canonical
  } catch {
    return ''
  }
}

function fromIso6393(code: string): string {
  if (code === 'und') return ''
  // Codes without an ISO 639-1 form (cmn, arb, pes...) are still valid BCP 47, and
  // canonicalisation folds the common ones into their macrolanguage (cmn -> zh).
  return normalizeLangTag(iso6393To1[code] ?? code)
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0
}
