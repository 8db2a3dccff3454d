/*
 * Text of a PDF page in reading order. PDF.js gives text runs in content-stream order, which
 * is the order the producer drew them: often reading order, but two-column papers, headers
 * drawn last and tables break it. The runs are joined into line segments, then ordered by a
 * recursive XY cut (Nagy & Seth, 1984), the classic layout-analysis baseline: split the page
 * at a vertical gutter into columns (left to right), else at a wide horizontal gap into
 * bands (top to bottom), and read what cannot be split line by line.
 */

/** A run of text as PDF.js reports it (`TextItem`): baseline origin and size from `transform`. */
export interface TextRun {
  str: string
  /** `[a, b, c, d, e, f]`: e, f is the baseline origin; the font size is the length of (c, d). */
  transform: number[]
  width: number
  hasEOL: boolean
}

/** Runs joined along one baseline, with their box. */
export interface Segment {
  text: string
  x0: number
  x1: number
  /** Baseline y (PDF space: up is larger). */
  y: number
  size: number
}

/**
 * Gutter between columns, in font sizes: wider than any gap between words of one line
 * (about a quarter of the size), narrower than real gutters (a 10 pt paper has 12–25 pt).
 */
const COLUMN_GAP = 1
/**
 * Gap between bands, in font sizes, that a cut may split at before columns are known: wider
 * than the space between lines (0.2–0.5 of the size), so rows of two columns side by side
 * are never read across the gutter.
 */
const BAND_GAP = 0.8
/** Runs of one line whose baselines differ by less than this, in font sizes (sub- and superscripts). */
const SAME_LINE = 0.5
/** A gap between two runs of a line wider than this, in font sizes, is a space. */
const WORD_GAP = 0.15
/** Recursion bound: real pages need a handful of levels; a hostile one could ask for thousands. */
const MAX_DEPTH = 32

export function segmentsOf(runs: readonly TextRun[]): Segment[] {
  const segments: Segment[] = []
  let current: Segment | undefined
  let longest = 0
  let space = false
  for (const run of runs) {
    const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = run.transform
    const size = Math.hypot(c, d) || Math.hypot(a, b) || 1
    const width = Number.isFinite(run.width) ? Math.max(0, run.width) : 0
    // PDF.js fills a gap between runs with a run of white space as wide as the gap (a gutter
    // included): it says "space here" and nothing about where text is.
    if (run.str.trim() === '') space ||= run.str !== ''
    else if (current !== undefined && Math.abs(current.y - y) < SAME_LINE * Math.max(size, current.size) && x >= current.x1 - size && x - current.x1 < COLUMN_GAP * size) {
      const spaced = (space || x - current.x1 > WORD_GAP * size) && !/\s$/.test(current.text) && !/^\s/.test(run.str)
      current.text += (spaced ? ' ' : '') + run.str
      current.x1 = Math.max(current.x1, x + width)
      // The line's size is its longest run's: a brace or a drop cap drawn at 50 pt beside
      // 8 pt text would otherwise make the line a band of its own height and bridge gaps.
      if (run.str.length > longest) {
        current.size = size
        longest = run.str.length
      }
      space = false
    } else {
      current = { text: run.str, x0: x, x1: x + width, y, size }
      longest = run.str.length
      segments.push(current)
      space = false
    }
    if (run.hasEOL) {
      current = undefined
      space = false
    }
  }
  return segments
}

/** The segments in reading order. */
export function readingOrder(segments: Segment[]): Segment[] {
  if (segments.length === 0) return segments
  const sizes = segments.map((s) => s.size).sort((p, q) => p - q)
  const size = sizes[Math.floor(sizes.length / 2)] as number
  const out: Segment[] = []
  cut(segments, size, 0, out)
  return out
}

function cut(segments: Segment[], size: number, depth: number, out: Segment[]): void {
  if (segments.length > 1 && depth < MAX_DEPTH) {
    const columns = split(segments, (s) => [s.x0, s.x1], COLUMN_GAP * size)
    if (columns !== undefined) {
      for (const column of columns) cut(column, size, depth + 1, out)
      return
    }
    // Bands top to bottom: PDF y grows upwards, so the interval is negated.
    const bands = split(segments, (s) => [-(s.y + 0.8 * s.size), -(s.y - 0.2 * s.size)], BAND_GAP * size)
    if (bands !== undefined) {
      for (const band of bands) cut(band, size, depth + 1, out)
      return
    }
  }
  out.push(...lineOrder(segments, size))
}

/** Groups by the gaps of at least `gap` in the projection of the boxes; undefined when there is none. */
function split(segments: Segment[], interval: (s: Segment) => [number, number], gap: number): Segment[][] | undefined {
  const sorted = segments.map((s) => ({ s, span: interval(s) })).sort((p, q) => p.span[0] - q.span[0])
  const groups: Segment[][] = []
  let group: Segment[] = []
  let reach = Number.NEGATIVE_INFINITY
  for (const { s, span } of sorted) {
    if (group.length > 0 && span[0] - reach >= gap) {
      groups.push(group)
      group = []
    }
    group.push(s)
    reach = Math.max(reach, span[1])
  }
  groups.push(group)
  return groups.length > 1 ? groups : undefined
}

/** Lines top to bottom, each left to right. */
function lineOrder(segments: Segment[], size: number): Segment[] {
  const byY = [...segments].sort((p, q) => q.y - p.y || p.x0 - q.x0)
  const rows: Segment[][] = []
  for (const segment of byY) {
    const row = rows.at(-1)
    if (row !== undefined && Math.abs((row[0] as Segment).y - segment.y) < SAME_LINE * size) row.push(segment)
    else rows.push([segment])
  }
  return rows.flatMap((row) => row.sort((p, q) => p.x0 - q.x0))
}

/** Segments as text: a line per segment, a word broken by a hyphen at a line end joined again. */
export function segmentText(segments: readonly Segment[]): string {
  let text = ''
  for (const { text: line } of segments) {
    const trimmed = line.trim()
    if (text === '') text = trimmed
    else if (/\p{Ll}-$/u.test(text) && /^\p{Ll}/u.test(trimmed)) text = text.slice(0, -1) + trimmed
    else text += `\n${trimmed}`
  }
  return text
}
