import { describe, expect, it } from 'vitest'
import { CubicRate } from '../src/control/cubic.js'

/** Sends `n` calls at `at` ms. */
function burst(rate: CubicRate, n: number, at: number): void {
  for (let i = 0; i < n; i++) rate.onSend(at)
}

describe('CubicRate', () => {
  it('sets no limit before the first throttle: a run under its quota pays nothing', () => {
    const rate = new CubicRate()
    burst(rate, 500, 0)
    expect(rate.perSecond(0)).toBeUndefined()
    expect(rate.ceilingPerSecond).toBeUndefined()
  })

  it('learns the first ceiling from what the server let through, not from the burst', () => {
    const rate = new CubicRate()
    burst(rate, 16, 0) // every page at once; the server's bucket holds 2
    expect(rate.onThrottle(0, 3)).toBe(true)
    expect(rate.ceilingPerSecond).toBe(15) // 15 not (yet) throttled
    // The rest of the burst's 429s: no new cut, but each lowers the first estimate.
    for (let i = 0; i < 13; i++) expect(rate.onThrottle(0, 4 + i)).toBe(false)
    expect(rate.ceilingPerSecond).toBe(2)
    expect(rate.perSecond(3)).toBeCloseTo(1.4, 6) // 0.7 × 2: the cut, not 0.7 × 16 a millisecond
  })

  it('cuts once per round trip: a 429 for a call sent before the last cut does not cut again', () => {
    const rate = new CubicRate()
    burst(rate, 10, 0)
    rate.onThrottle(0, 5)
    for (let i = 0; i < 9; i++) rate.onThrottle(0, 5) // all of the burst throttled: W is the floor
    const cutAt = rate.perSecond(5)
    expect(rate.onThrottle(4, 10)).toBe(false)
    expect(rate.perSecond(10)).toBeCloseTo(cutAt!, 1)
    rate.onSend(20)
    expect(rate.onThrottle(20, 25)).toBe(true)
  })

  it('grows back to the ceiling along a cubic: fast, then flat around it, then probing above', () => {
    const rate = new CubicRate({ regrowMs: 3000 })
    burst(rate, 10, 0)
    for (let i = 0; i < 5; i++) rate.onThrottle(0, 0)
    const w = rate.ceilingPerSecond!
    expect(w).toBe(5)
    expect(rate.perSecond(0)).toBeCloseTo(0.7 * w, 6)
    expect(rate.perSecond(1500)).toBeCloseTo(w - 0.3 * w * 0.125, 6) // half way: 7/8 of the way back
    expect(rate.perSecond(3000)).toBeCloseTo(w, 6)
    expect(rate.perSecond(3500)).toBeLessThan(w * 1.01) // flat around W
    expect(rate.perSecond(6000)).toBeCloseTo(w * 1.3, 6) // one K later: probing, 30% above
  })

  it('takes the rate it was using as the new ceiling, letting it fall by at most 10% a cut', () => {
    const rate = new CubicRate({ regrowMs: 3000 })
    burst(rate, 20, 0)
    rate.onThrottle(0, 1)
    for (let i = 0; i < 10; i++) rate.onThrottle(0, 1) // W = 20 − 11 = 9
    expect(rate.ceilingPerSecond).toBe(9)
    // 6 s later the curve is probing at 9 × 1.3 = 11.7 a second, but only 8 were sent in the last second.
    burst(rate, 8, 5500)
    expect(rate.onThrottle(5500, 6000)).toBe(true)
    expect(rate.ceilingPerSecond).toBeCloseTo(8.1, 6) // 8 is more than 10% under 9: W falls to 0.9 × 9
    expect(rate.perSecond(6000)).toBeCloseTo(0.7 * 8, 6) // the rate itself is cut from what was used
    // A throttle at a rate above W raises W to the rate allowed (8.1 + 2.5 one K past the
    // plateau): the quota is at least where the run got to. Sends past the rate do not count.
    burst(rate, 12, 11_500)
    rate.onThrottle(11_500, 12_000)
    expect(rate.ceilingPerSecond).toBeCloseTo(10.6, 6)
  })

  it('never learns less than its floor', () => {
    const rate = new CubicRate({ minPerSecond: 0.5 })
    rate.onSend(0)
    rate.onThrottle(0, 1)
    expect(rate.ceilingPerSecond).toBe(0.5)
    expect(rate.perSecond(1)).toBe(0.5)
  })
})
