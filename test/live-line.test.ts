import { spawnSync } from 'node:child_process'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LiveLine, bar, formatEta } from '../src/output/live-line.js'

// The progress line redrawn in place on a terminal (src/output/live-line.ts), written to a
// stream that records what a terminal would receive. Only the clock is faked: the throttle and
// the ETA read Date.now().

function terminal(columns: number) {
  const writes: string[] = []
  return { writes, stream: Object.assign({ write: (chunk: string) => void writes.push(chunk) }, { columns }) as unknown as NodeJS.WritableStream }
}

/** The lines drawn: what follows each carriage return and clear-to-end. */
const drawn = (writes: string[]): string[] => writes.filter((w) => w.startsWith('\r\u001b[K') && w.length > 4).map((w) => w.slice(4))

afterEach(() => void vi.useRealTimers())

describe('the live progress line', () => {
  it('hides the cursor, draws the bar and the text, and clears itself and gives the cursor back at the end', () => {
    const { writes, stream } = terminal(80)
    const line = new LiveLine(stream, { fps: 5, text: ({ value, total }) => `${value}/${total}` })
    line.start(10, 0)
    expect(writes[0]).toBe('\u001b[?25l')
    expect(drawn(writes)).toEqual([`${'\u2591'.repeat(30)} 0/10`])
    line.stop()
    expect(writes.at(-1)).toBe('\r\u001b[K\u001b[?25h')
    line.stop()
    line.update(5)
    expect(writes.at(-1)).toBe('\r\u001b[K\u001b[?25h')
  })

  it('redraws at most fps times a second, however many updates come', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const { writes, stream } = terminal(80)
    const line = new LiveLine(stream, { fps: 5, text: ({ value }) => `${value} pages` })
    line.start(undefined, 0)
    for (let i = 1; i <= 100; i++) line.update(i)
    expect(drawn(writes)).toEqual(['0 pages'])
    vi.advanceTimersByTime(200)
    line.update(101)
    expect(drawn(writes)).toEqual(['0 pages', '101 pages'])
  })

  it('is cut one character short of the terminal width, so a redraw never wraps onto a new line', () => {
    const { writes, stream } = terminal(40)
    const line = new LiveLine(stream, { fps: 5, text: () => 'x'.repeat(100) })
    line.start(4, 1)
    expect(drawn(writes)).toEqual(['x'.repeat(39)])
  })

  it('keeps the numbers in a narrow terminal: the bar shrinks to the room they leave, then goes', () => {
    const text = (columns: number): string => {
      const { writes, stream } = terminal(columns)
      new LiveLine(stream, { fps: 5, text: ({ value, total }) => `${value}/${total} | ETA 5s` }).start(4, 2)
      return drawn(writes)[0]!
    }
    expect(text(80)).toBe(`${bar(0.5, 30)} 2/4 | ETA 5s`)
    expect(text(30)).toBe(`${bar(0.5, 16)} 2/4 | ETA 5s`)
    expect(text(20)).toBe('2/4 | ETA 5s')
    expect(text(8)).toBe('2/4 | E')
  })

  it('takes a terminal of unknown size as 80 columns wide', () => {
    const { writes, stream } = terminal(0)
    new LiveLine(stream, { fps: 5, text: () => 'y'.repeat(200) }).start(undefined, 0)
    expect(drawn(writes)).toEqual(['y'.repeat(79)])
  })

  it('estimates the time left from the pace of the last updates', () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const { writes, stream } = terminal(120)
    const line = new LiveLine(stream, { fps: 5, text: ({ etaSeconds }) => `ETA ${formatEta(etaSeconds)}` })
    line.start(1000, 0)
    expect(drawn(writes).at(-1)).toContain('ETA ?')
    // 10 a second for 10 s: 900 left at that pace is 90 s.
    for (let s = 1; s <= 10; s++) {
      vi.advanceTimersByTime(1000)
      line.update(s * 10)
    }
    expect(drawn(writes).at(-1)).toContain('ETA 1m30s')
  })

  it('formats a bar and an ETA', () => {
    expect(bar(0.5, 4)).toBe('\u2588\u2588\u2591\u2591')
    expect(bar(2, 2)).toBe('\u2588\u2588')
    expect([formatEta(undefined), formatEta(45.2), formatEta(185), formatEta(7620)]).toEqual(['?', '45s', '3m05s', '2h07m'])
  })
})

describe('the live progress line at a forced exit', () => {
  it('gives the cursor back when the process exits with the line still drawn (a third Ctrl-C)', () => {
    const source = [
      `import { LiveLine } from ${JSON.stringify(new URL('../src/output/live-line.ts', import.meta.url).pathname)}`,
      `new LiveLine(process.stdout, { fps: 5, text: () => 'drawn' }).start(10, 3)`,
      'process.exit(130)',
    ].join('\n')
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8' })
    expect(child.status).toBe(130)
    expect(child.stdout).toContain('drawn')
    expect(child.stdout.endsWith('\u001b[?25h')).toBe(true)
  })
})
