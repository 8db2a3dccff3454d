import { describe, expect, it } from 'vitest'
import { rollFault, rollOvershoot } from '../src/emulator/faults.js'

const CALM = { throttleRate: 0, resetRate: 0, stallRate: 0, errorRate: 0, latencyMs: 800, jitterMs: 200 }

/** A scripted `random` that also says how many rolls were taken: the count is part of what a seed replays. */
function script(...values: number[]): { random: () => number; taken: () => number } {
  let i = 0
  return {
    random: () => {
      const value = values[i++]
      if (value === undefined) throw new Error(`roll ${i} was not scripted`)
      return value
    },
    taken: () => i,
  }
}

describe('emulator fault dice', () => {
  it('rolls only the latency jitter when every rate is 0', () => {
    const dice = script(1)
    expect(rollFault({ ...CALM, random: dice.random })).toEqual({ kind: 'none', delayMs: 1000 })
    expect(dice.taken()).toBe(1)
  })

  it('stops rolling once a call is throttled or stalled', () => {
    const throttled = script(0.1)
    expect(rollFault({ ...CALM, throttleRate: 0.5, resetRate: 0.5, random: throttled.random })).toEqual({ kind: 'throttled' })
    expect(throttled.taken()).toBe(1)
    const stalled = script(0.9, 0.9, 0.1)
    expect(rollFault({ ...CALM, throttleRate: 0.5, resetRate: 0.5, stallRate: 0.5, errorRate: 0.5, random: stalled.random })).toEqual({ kind: 'stalled' })
    expect(stalled.taken()).toBe(3)
  })

  it('skips the stall and error rolls for a reset call, which drops after a quarter of its latency', () => {
    const dice = script(0.1, 0.5)
    expect(rollFault({ ...CALM, resetRate: 0.5, stallRate: 0.5, errorRate: 0.5, random: dice.random })).toEqual({ kind: 'reset', delayMs: 200 })
    expect(dice.taken()).toBe(2)
  })

  it('picks 503 or 500 with one more roll, and fails after a quarter of the latency', () => {
    const unavailable = script(0.1, 0.4, 0)
    expect(rollFault({ ...CALM, errorRate: 0.5, random: unavailable.random })).toEqual({ kind: 'failed', reason: 'unavailable', delayMs: 150 })
    const internal = script(0.1, 0.6, 0.5)
    expect(rollFault({ ...CALM, errorRate: 0.5, random: internal.random })).toEqual({ kind: 'failed', reason: 'internal', delayMs: 200 })
  })

  it('never waits less than nothing when the jitter exceeds the latency', () => {
    expect(rollFault({ ...CALM, latencyMs: 100, jitterMs: 500, random: script(0).random })).toEqual({ kind: 'none', delayMs: 0 })
  })

  it('rolls the overshoot only when its rate is above 0', () => {
    const dice = script(0.2, 0.3)
    expect(rollOvershoot({ overshootRate: 0, random: dice.random })).toBe(false)
    expect(dice.taken()).toBe(0)
    expect(rollOvershoot({ overshootRate: 0.25, random: dice.random })).toBe(true)
    expect(rollOvershoot({ overshootRate: 0.25, random: dice.random })).toBe(false)
  })
})
