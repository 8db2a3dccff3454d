/**
 * One run's side of the peer board (peers.ts): about once a second it posts the group's quota
 * it knows (learned by itself, or by another run and newer) and paces at an equal share of
 * it whenever that quota or the number of runs sharing it changes.
 */

import type { DeliveryRate } from './delivery.js'
import { CUT_BETA } from './delivery-rules.js'
import { type PeerBoard, type PeerNote, newestQuota, shareOf } from './peers.js'

/** How often a run posts and reads, ms. */
export const PEER_TALK_MS = 1000
/** Longest a starting run waits for another's test: a drain test is judged within 10 s. */
const MAX_WAIT_MS = 10 * 1000

export class PeerTalk {
  readonly #board: PeerBoard
  readonly #delivery: DeliveryRate
  readonly #id = `${process.pid}-${Math.random().toString(16).slice(2, 10)}`
  /** `learned` of the delivery rate at the last talk: a change is news to post. */
  #seen = 0
  /** The group's quota this run knows (per second, all runs together), and when it was learned, by the board's clock. */
  #group: { quota: number; learnedAt: number } | undefined
  /** What the run's pace was last set from: the group's quota (its stamp) and this run's part of it. */
  #applied = { learnedAt: Number.NaN, part: 1 }
  /** Most this run sends a second (`--rpm`), whatever its share. */
  readonly #cap: number | undefined
  #most = 0
  /** The group's quota came from another run's note (else from this run's own learning). */
  #fromPeer = false
  /** This run has paced at a share beside another run. */
  #shared = false
  #startedAt: number | undefined
  #holdUntil = 0

  /** `cap`: most the run sends a second whatever its share (`--rpm` / 60); the others divide what it leaves. */
  constructor(board: PeerBoard, delivery: DeliveryRate, cap?: number) {
    this.#board = board
    this.#delivery = delivery
    this.#cap = cap
  }

  /** Posts and reads; `nowMs` on the run's clock. */
  talk(nowMs: number): void {
    const delivery = this.#delivery
    this.#absorbOwn()
    const mine: PeerNote = { id: this.#id, quota: this.#group?.quota, learnedAt: this.#group?.learnedAt ?? 0, testing: delivery.testing, cap: this.#cap }
    const others = this.#board.exchange(mine)
    // A run that has learned nothing and sees another testing for a quota waits for its answer,
    // a few seconds at most: its own opening burst would spend the quota under the other's test.
    this.#startedAt ??= nowMs
    const waiting = this.#group === undefined && delivery.learned === 0 && nowMs - this.#startedAt < MAX_WAIT_MS && others.some((o) => o.testing === true && o.quota === undefined)
    this.#holdUntil = waiting ? nowMs + PEER_TALK_MS : 0
    this.#most = Math.max(this.#most, others.length)
    const newest = newestQuota([mine, ...others])
    if (newest?.quota !== undefined && (this.#group === undefined || newest.learnedAt > this.#group.learnedAt)) {
      this.#group = { quota: newest.quota, learnedAt: newest.learnedAt }
      this.#fromPeer = newest.id !== this.#id
    }
    const group = this.#group
    // A run that has never met another paces as it learned: sharing changes nothing for it
    // (taking its own learning back as a share forced a run that had gone unpaced, its
    // throttles judged random, back to its old pace).
    if (group === undefined || (others.length === 0 && !this.#fromPeer && !this.#shared)) return
    if (others.length > 0) this.#shared = true
    const budget = CUT_BETA * group.quota
    const { mine: pace } = shareOf(budget, this.#cap, others.map((o) => o.cap))
    const part = pace / budget
    if (group.learnedAt === this.#applied.learnedAt && Math.abs(part - this.#applied.part) <= 1e-9) return
    this.#applied = { learnedAt: group.learnedAt, part }
    delivery.share(pace, nowMs)
  }

  /** Until when the run should send nothing (run's clock, ms): another is testing for the quota. */
  get holdUntil(): number {
    return this.#holdUntil
  }

  /** Posts at once when the run has learned a rate since it last talked: a run starting beside it then starts at its share. */
  news(nowMs: number): void {
    if (this.#delivery.learned !== this.#seen) this.talk(nowMs)
  }

  /** What the run learned itself since it last looked becomes the group's quota it knows. */
  #absorbOwn(): void {
    const delivery = this.#delivery
    if (delivery.learned === this.#seen) return
    this.#seen = delivery.learned
    const rate = delivery.pacedRate
    // The run cruises a little under its part of the quota; the group's quota is every part:
    // its pace over the part it was last given (a run that learned alone, as another started
    // beside it, learned the whole quota, less what the newcomer took).
    // Learned after all it knew, whatever the clock says: stamped later than the quota it knew
    // (a Lamport clock). Stamped by the clock alone, a run whose clock was set back after
    // another posted would find its learning older than that post, and the group would keep
    // the old quota until the clock caught up (an hour, after a time-zone mistake corrected).
    if (rate === undefined) return
    this.#group = { quota: rate / this.#applied.part / CUT_BETA, learnedAt: Math.max(this.#board.now(), (this.#group?.learnedAt ?? 0) + 1) }
    this.#fromPeer = false
  }

  /** Other runs seen at once at most, and the group's quota last known, per minute. */
  summary(): { most: number; quotaRpm: number | null } {
    this.#absorbOwn()
    return { most: this.#most, quotaRpm: this.#most === 0 || this.#group === undefined ? null : Math.round(this.#group.quota * 60) }
  }

  leave(): void {
    this.#board.leave(this.#id)
  }
}
