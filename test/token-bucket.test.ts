import { describe, expect, it } from 'vitest'
import { TokenBucket } from '../src/control/token-bucket.js'

const bucket = (perMinute: number, capacity: number, nowMs = 0): TokenBucket => new TokenBucket({ perMinute, capacity, nowMs })

describe('TokenBucket', () => {
  it('starts full, refills continuously at rate/60 per second, and never holds more than its capacity', () => {
    const b = bucket(600, 5) // 10 a second
    expect(b.level(0)).toBe(5)
    b.take(5, 0)
    expect(b.level(0)).toBe(0)
    expect(b.level(100)).toBeCloseTo(1, 10)
    expect(b.level(250)).toBeCloseTo(2.5, 10)
    expect(b.level(10_000)).toBe(5)
  })

  it('admits exactly at a whole boundary', () => {
    const b = TokenBucket.forQuota(60, 1, 0)
    b.take(1, 0)
    expect(b.level(500)).toBeCloseTo(0.5, 12)
    expect(b.admits(1, 999)).toBe(false)
    expect(b.admits(1, 1000)).toBe(true)
    // Refilled in many small steps, the sum of fractions still admits at the boundary.
    const stepped = bucket(6000, 1)
    stepped.take(1, 0)
    for (let t = 1; t <= 10; t++) stepped.take(0, t)
    expect(stepped.admits(1, 10)).toBe(true)
  })

  it('says how long until an amount is there, to the millisecond, and agrees with admits', () => {
    const b = bucket(600, 5)
    b.take(5, 0)
    expect(b.waitMs(1, 0)).toBe(100)
    expect(b.waitMs(3, 0)).toBe(300)
    expect(b.waitMs(1, 100)).toBe(0)
    expect(b.waitMs(2, 150)).toBe(50)
    for (const t of [0, 37, 99, 150, 233]) {
      const wait = b.waitMs(2, t)
      expect(b.admits(2, t + wait)).toBe(true)
      if (wait > 0) expect(b.admits(2, t + wait - 1)).toBe(false)
    }
  })

  it('lets a request bigger than the bucket through when full, and the debt holds the average rate', () => {
    const b = bucket(60_000, 1000) // 1000 tokens a second
    expect(b.waitMs(5000, 0)).toBe(0)
    expect(b.admits(5000, 0)).toBe(true)
    b.take(5000, 0)
    expect(b.level(0)).toBe(-4000)
    // The next small request waits for the debt to be repaid: 4.001 s at 1000 a second.
    expect(b.waitMs(1, 0)).toBe(4001)
    expect(b.admits(1, 4000)).toBe(false)
    expect(b.admits(1, 4001)).toBe(true)
  })

  it('admits a charge larger than the bucket only when full', () => {
    const b = bucket(600, 10) // 10 per second
    expect(b.admits(50, 0)).toBe(true)
    b.take(50, 0)
    expect(b.level(0)).toBe(-40)
    expect(b.admits(1, 4000)).toBe(false)
    expect(b.admits(1, 4100)).toBe(true)
    // Back to full after 50 tokens' worth of refill: 5 s.
    expect(b.admits(50, 4999)).toBe(false)
    expect(b.admits(50, 5000)).toBe(true)
  })

  it('gives back what an estimate overcharged, within the capacity, and charges what it undercharged', () => {
    const b = bucket(60_000, 1000)
    b.take(800, 0)
    b.give(800 - 300, 0) // estimated 800, used 300
    expect(b.level(0)).toBe(700)
    b.give(10_000, 0)
    expect(b.level(0)).toBe(1000)
    b.give(-1500, 0) // used more than estimated
    expect(b.level(0)).toBe(-500)
  })

  it('ignores a clock stepping back, and does not refill the same time twice after it', () => {
    const b = bucket(6000, 100, 1000) // 100 a second
    b.take(80, 1000)
    b.give(500, 1000)
    expect(b.level(1000)).toBe(100)
    b.give(-30, 1000)
    expect(b.level(1000)).toBe(70)
    expect(b.level(0)).toBe(70)
    b.take(10, 500) // at a time before the last update
    expect(b.level(1000)).toBe(60)
    expect(b.level(1100)).toBeCloseTo(70, 10)
  })

  it('sizes a quota bucket to its burst, and at least 1', () => {
    expect(TokenBucket.forQuota(600, 1, 0).capacity).toBe(10)
    expect(TokenBucket.forQuota(600, 0.5, 0).capacity).toBe(5)
    expect(TokenBucket.forQuota(6, 1, 0).capacity).toBe(1)
  })

  it('refuses a rate or capacity that is not positive', () => {
    expect(() => bucket(0, 5)).toThrow(RangeError)
    expect(() => bucket(600, 0)).toThrow(RangeError)
  })
})
