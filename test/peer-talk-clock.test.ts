import { describe, expect, it } from 'vitest'
import { DeliveryRate } from '../src/control/delivery.js'
import { PeerTalk } from '../src/control/peer-talk.js'
import { MemoryBoard } from '../src/control/peers.js'

// A run's learning must reach the group even when another run posted under a clock that
// has since been set back (src/control/peer-talk.ts). Time is fake: the board's wall clock
// and the run's own, stepped 100 ms at a time; the server lets one call a second through.

describe('a run sharing a quota after the clock was set back', () => {
  it('posts what it learns, and does not go back to the quota posted before the clock moved', () => {
    let wall = 1_000_000
    let t = 0
    const board = new MemoryBoard(() => wall)
    const delivery = new DeliveryRate({ maxInFlight: 4 }, t)
    const talk = new PeerTalk(board, delivery)
    // The other run learned 8 a second an hour "from now": the clock was set back an hour since.
    const stale = { id: 'other', quota: 8, learnedAt: wall + 3600 * 1000 }
    const passed: number[] = []
    let credit = 0
    let seen = board.exchange(stale)
    for (let step = 0; step < 400; step++) {
      t += 100
      wall += 100
      if (step % 10 === 0) {
        seen = board.exchange(stale)
        talk.talk(t)
      }
      credit += (delivery.perSecond(t) ?? 20) * 0.1
      for (; credit >= 1; credit -= 1) {
        const phase = delivery.onSend(t - 50)
        const throttled = passed.some((at) => at > t - 1000)
        if (!throttled) passed.push(t)
        delivery.onReply(phase, t - 50, t, throttled)
        talk.news(t)
      }
    }
    expect(delivery.learned).toBeGreaterThan(0)
    // What this run posts is its own learning (about 2 a second for the two runs), not the stale 8.
    const mine = seen.find((note) => note.id !== 'other')
    expect(mine?.quota).toBeLessThan(4)
    // The other run ends: this one takes the whole quota it learned, not 0.9 × 8.
    board.leave('other')
    talk.talk(t + 1000)
    expect(delivery.pacedRate).toBeLessThan(4)
  })
})
