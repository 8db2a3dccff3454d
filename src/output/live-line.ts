/**
 * A progress line redrawn in place on a terminal: a bar, what the caller puts beside it, and
 * an ETA from the pace of the last updates. It replaced cli-progress, whose width handling
 * pulled a dozen packages into the production install (issue 23: a tree of at most 100);
 * what we used of it is this: redraws at most `fps` a second, the line cut to the terminal's
 * width, the cursor hidden while it is drawn, the line cleared at the end.
 */

/** What the caller's text may use. */
export interface LineState {
  value: number
  total: number | undefined
  /** Seconds left at the pace of the last updates; undefined until there is one. */
  etaSeconds: number | undefined
}

export interface LiveLineOptions {
  /** Redraws a second at most. */
  fps: number
  /** The text after the bar (the bar is left out without a total). */
  text: (state: LineState) => string
}

/** Updates the ETA is measured over: a moving pace, not the whole run's average. */
const ETA_SAMPLES = 50
const BAR_WIDTH = 30
/** Fewer cells than this say too little to be worth the room. */
const MIN_BAR_WIDTH = 10
const HIDE_CURSOR = '\u001b[?25l'
const SHOW_CURSOR = '\u001b[?25h'
const CLEAR_LINE = '\r\u001b[K'

export class LiveLine {
  readonly #stream: NodeJS.WritableStream & { columns?: number }
  readonly #options: LiveLineOptions
  #total: number | undefined
  #value = 0
  #drawnAt = Number.NEGATIVE_INFINITY
  #active = false
  readonly #samples: Array<{ at: number; value: number }> = []
  readonly #showCursor = (): void => void this.#stream.write(SHOW_CURSOR)

  constructor(stream: NodeJS.WritableStream, options: LiveLineOptions) {
    this.#stream = stream
    this.#options = options
  }

  get active(): boolean {
    return this.#active
  }

  start(total: number | undefined, value: number): void {
    this.#total = total
    this.#active = true
    this.#stream.write(HIDE_CURSOR)
    // A third Ctrl-C is process.exit(130), which skips every finally: the cursor would stay
    // hidden in the user's shell. Writes to a TTY or a pipe are synchronous, so this one lands.
    process.on('exit', this.#showCursor)
    this.update(value, true)
  }

  /** Sets the value and redraws, unless the last redraw was less than a frame ago (`force`: now). */
  update(value: number, force = false): void {
    if (!this.#active) return
    this.#value = value
    const now = Date.now()
    this.#samples.push({ at: now, value })
    if (this.#samples.length > ETA_SAMPLES) this.#samples.shift()
    if (!force && now - this.#drawnAt < 1000 / this.#options.fps) return
    this.#drawnAt = now
    this.#stream.write(`${CLEAR_LINE}${this.#line()}`)
  }

  /** Clears the line and gives the cursor back; idempotent. */
  stop(): void {
    if (!this.#active) return
    this.#active = false
    process.off('exit', this.#showCursor)
    this.#stream.write(`${CLEAR_LINE}${SHOW_CURSOR}`)
  }

  #line(): string {
    const total = this.#total
    const text = this.#options.text({ value: this.#value, total, etaSeconds: this.#eta() })
    // One character short of the width: a line that fills it wraps on some terminals, and each
    // redraw would then add a line.
    // A terminal of unknown size (0 columns: a pty nobody sized) is taken as 80 wide.
    const columns = this.#stream.columns
    const width = (columns !== undefined && columns > 0 ? columns : 80) - 1
    // The numbers come first: the bar takes what room they leave, and is left out below
    // MIN_BAR_WIDTH cells (in 20 columns the line was a bar alone, with no count and no ETA).
    const cells = Math.min(BAR_WIDTH, width - text.length - 1)
    const line = total === undefined || total <= 0 || cells < MIN_BAR_WIDTH ? text : `${bar(this.#value / total, cells)} ${text}`
    return line.length > width ? line.slice(0, Math.max(0, width)) : line
  }

  #eta(): number | undefined {
    const total = this.#total
    const first = this.#samples[0]
    const last = this.#samples[this.#samples.length - 1]
    if (total === undefined || first === undefined || last === undefined || last.at <= first.at || last.value <= first.value) return undefined
    const perMs = (last.value - first.value) / (last.at - first.at)
    return Math.max(0, total - last.value) / perMs / 1000
  }
}

/** A bar of `width` cells, `share` of them full. */
export function bar(share: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, share)) * width)
  return '\u2588'.repeat(full) + '\u2591'.repeat(width - full)
}

/** Seconds as a short ETA: `45s`, `3m05s`, `2h07m`; `?` when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?'
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
