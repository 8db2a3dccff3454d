import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DeliveryRate } from '../src/control/delivery.js'
import { FileBoard } from '../src/control/peer-files.js'
import { PeerTalk } from '../src/control/peer-talk.js'
import { shareOf } from '../src/control/peers.js'

// A run given --rpm beside runs that share its quota (src/control/peers.ts): it takes no
// more than its --rpm, and the others divide what it leaves. Real folder board, real
// delivery rate; no time passes.

describe('a run capped by --rpm among runs sharing a quota', () => {
  it('leaves the others what it cannot use, instead of an equal share of it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'su-peers-')), 'peers')
    const main = new DeliveryRate({ maxInFlight: 16 }, 0)
    const side = new DeliveryRate({ maxInFlight: 16 }, 0)
    const mainTalk = new PeerTalk(new FileBoard(dir, 'k'), main)
    const sideTalk = new PeerTalk(new FileBoard(dir, 'k'), side, 30 / 60)
    // A third run posted the group's quota, 4 a second, and ended: the two paces follow.
    const posted = new FileBoard(dir, 'k')
    posted.exchange({ id: 'first', quota: 4, learnedAt: Date.now() })
    sideTalk.talk(0)
    posted.leave('first')
    mainTalk.talk(0)
    sideTalk.talk(0)
    mainTalk.talk(0)
    // 0.9 × 4 = 3.6 a second for both: the side run takes its 0.5, the main run the other 3.1
    // (an equal split gave it 1.8 while 1.3 went unused).
    expect(side.pacedRate).toBeCloseTo(0.5, 5)
    expect(main.pacedRate).toBeCloseTo(3.1, 5)
    mainTalk.leave()
    sideTalk.leave()
  })
})

describe('the share of each run', () => {
  it('fills the caps under an equal share first, and divides the rest equally', () => {
    // 10 a second among runs capped at 1 and 6 and one uncapped: 1, then 4.5 and 4.5.
    expect(shareOf(10, undefined, [1, 6])).toEqual({ mine: 4.5, given: 5.5 })
    expect(shareOf(10, 6, [1, undefined])).toEqual({ mine: 4.5, given: 5.5 })
    expect(shareOf(10, 1, [6, undefined])).toEqual({ mine: 1, given: 9 })
    // Every run capped under its share: each sends its cap, the rest of the quota unused.
    expect(shareOf(10, 2, [1])).toEqual({ mine: 2, given: 8 })
  })
})
