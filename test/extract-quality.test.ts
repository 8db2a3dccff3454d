import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { goldQualityPages, measureRevisions } from '../bench/extract-quality.js'
import { readCleanEvalPages } from '../bench/cleaneval-dataset.js'
import { goldDatasetProblem, readGoldSplit } from '../bench/gold-dataset.js'
import { qualityScores, shingleCounts } from '../bench/text-metrics.js'
import { extractPage } from '../src/extract.js'

describe('word-shingle scores', () => {
  it('count shared, extra and missing 4-word shingles as multisets', () => {
    expect(shingleCounts('one two three four five', 'one two three four six')).toEqual({ truePositive: 1, falsePositive: 1, falseNegative: 1 })
    expect(shingleCounts('a b c d a b c d', 'a b c d')).toEqual({ truePositive: 1, falsePositive: 0, falseNegative: 4 })
    // Shorter than a shingle: the whole text is one.
    expect(shingleCounts('Hello world', 'hello world')).toEqual({ truePositive: 0, falsePositive: 1, falseNegative: 1 })
  })

  it('average precision and recall over pages, F1 being their harmonic mean; nothing extracted is precision 0', () => {
    const scores = qualityScores([
      { truePositive: 3, falsePositive: 1, falseNegative: 0 },
      { truePositive: 0, falsePositive: 0, falseNegative: 5 },
    ])
    expect(scores.precision).toBeCloseTo(0.375)
    expect(scores.recall).toBeCloseTo(0.5)
    expect(scores.f1).toBeCloseTo((2 * 0.375 * 0.5) / 0.875)
  })
})

describe('a data set in the Dragnet layout', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gold-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const paragraphs = Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i + 1}: the ferry to the island leaves at nine, returns at five, and carries bicycles free of charge on weekdays.</p>`).join('')
  const html = `<html><head><title>Ferry</title></head><body><div id="nav"><a href="/">Home</a> <a href="/about">About</a></div><article>${paragraphs}</article></body></html>`
  const gold = Array.from({ length: 6 }, (_, i) => `Paragraph ${i + 1}: the ferry to the island leaves at nine, returns at five, and carries bicycles free of charge on weekdays.`).join('\n')

  it('names what is missing and how to get it', () => {
    expect(goldDatasetProblem(dir)).toMatch(/has no `HTML`.*seomoz\/dragnet_data.*--data DIR or DRAGNET_DATA/)
  })

  it('reads each split, drops the comments after the marker, decodes UTF-16 ground truth and skips pages without both files', () => {
    mkdirSync(join(dir, 'HTML'))
    mkdirSync(join(dir, 'Corrected'))
    writeFileSync(join(dir, 'HTML', 'a.html'), html)
    writeFileSync(join(dir, 'Corrected', 'a.html.corrected.txt'), `${gold}\n!@#$%^&*()  COMMENTS\nGreat post!`)
    writeFileSync(join(dir, 'HTML', 'b.html'), html)
    writeFileSync(join(dir, 'Corrected', 'b.html.corrected.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(gold, 'utf16le')]))
    writeFileSync(join(dir, 'training.txt'), 'a\nmissing\n')
    writeFileSync(join(dir, 'test.txt'), 'b\n')
    expect(goldDatasetProblem(dir)).toBeUndefined()

    const dev = readGoldSplit(dir, 'dev')
    expect(dev.map((p) => p.name)).toEqual(['a'])
    expect(dev[0]?.reference).not.toContain('Great post')
    expect(readGoldSplit(dir, 'held-out')[0]?.reference.trim()).toBe(gold)
  })

  it('finds the comments line however it was typed by hand', () => {
    // Forms seen in the data set's ground truth besides `!@#$%^&*()  COMMENTS`.
    const marks = ['!@ $%^&*()  COMMENTS', '!@#$%$%^&*()  COMMENTS', '@#$%^&*() COMMENTS', '!@#$%^&*   COMMENTS', '!@#$%^&*()  \tCOMMENTS\r']
    marks.forEach((mark, i) => {
      writeFileSync(join(dir, 'HTML', `m${i}.html`), html)
      writeFileSync(join(dir, 'Corrected', `m${i}.html.corrected.txt`), `${gold}\n\n${mark}\nGreat post, COMMENTS welcome!`)
    })
    writeFileSync(join(dir, 'training.txt'), marks.map((_, i) => `m${i}`).join('\n'))
    const pages = readGoldSplit(dir, 'dev')
    expect(pages).toHaveLength(marks.length)
    for (const page of pages) expect(page.reference.trim()).toBe(gold)
    writeFileSync(join(dir, 'training.txt'), 'a\nmissing\n')
  })

  it('scores each revision on the same pages, with its CPU a page', () => {
    const pages = goldQualityPages(readGoldSplit(dir, 'dev'))
    const [first, second] = measureRevisions(pages, [{ label: 'one', extract: extractPage }, { label: 'two', extract: extractPage }], 2)
    expect(first?.scores).toEqual(second?.scores)
    expect(first?.scores.recall).toBe(1)
    // The menu is not the article: precision counts it if it stays.
    expect(first?.scores.precision).toBe(1)
    expect(first?.cpuMsMean).toBeGreaterThan(0)
  })
})

describe('the CleanEval development set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaneval-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads each page without the data set\'s wrapper, and its cleaned text without the URL line and block marks', () => {
    expect(() => readCleanEvalPages(dir)).toThrow(/has no `input`/)
    mkdirSync(join(dir, 'input'))
    mkdirSync(join(dir, 'GoldStandard'))
    writeFileSync(join(dir, 'input', '2.html'), '<text id="http://example.com/ferry" title="Ferry" encoding="iso-8859-1">\n<html><head><title>Ferry</title></head><body><p>Caf\xe9 on board.</p></body></html>\n</text>\n', 'latin1')
    writeFileSync(join(dir, 'GoldStandard', '2.txt'), 'URL: http://example.com/ferry\n\n<h>Ferry\n<p>Café on board.\n<l>Bicycles free\n')
    writeFileSync(join(dir, 'input', '10.html'), '<text id="http://example.com/no-gold">\n<p>No cleaned text for this one.</p></text>')
    const pages = readCleanEvalPages(dir)
    expect(pages.map((p) => p.name)).toEqual(['2'])
    expect(pages[0]?.source).not.toContain('<text')
    expect(extractPage(pages[0]?.source ?? '', { url: 'http://example.com/ferry', contentType: 'text/html' }).text).toBe('Café on board.')
    expect(pages[0]?.reference.replace(/\s+/g, ' ').trim()).toBe('Ferry Café on board. Bicycles free')
  })
})

describe('bench --extract-data', () => {
  it('is refused before anything runs when the folder is not a data set, naming what it lacks', async () => {
    const { resolveBenchOptions } = await import('../bench/options.js')
    expect(() => resolveBenchOptions({ extractData: tmpdir() })).toThrow(/--extract-data must be a data set in the Dragnet layout: `.*` has no `HTML`/)
  })
})
