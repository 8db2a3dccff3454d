/**
 * Runs on one machine that share a quota (shards of one list, started side by side against
 * the same model and account) tell each other what they learned, so that together they pace
 * as one run would: each sends an equal share of the quota the group found last.
 *
 * Learned blind, two runs cannot tell a quota another run spends from random throttles (a
 * run's own share of throttles looks the same in both cases): in simulation the second of two
 * runs overshot the quota in most seeds or crawled (bench/results/rate-sim.txt, "shared").
 * Runs that can see each other need not guess. A run on another machine is not seen and is
 * learned blind, as before.
 *
 * The rule, checked against the summary line: every run posts, about once a second, the total
 * quota it last learned (its own learned rate times the runs it shared with, over the cruise
 * margin) and when; every run paces at an equal share of the newest total posted. A run that
 * starts beside a paced one starts paced at its share instead of bursting to find the quota;
 * a run that finishes leaves its share to the others.
 */

/** What one run tells the others. */
export interface PeerNote {
  /** This run, unique on the machine (pid and start time). */
  readonly id: string
  /** The total quota of the group this run last learned, per second; undefined: none learned. */
  readonly quota: number | undefined
  /** When it was learned, by the board's clock. */
  readonly learnedAt: number
  /** The run is testing whether its throttles are a quota (sending unpaced, no quota found yet): a run starting beside it waits for the answer rather than disturb it. */
  readonly testing?: boolean | undefined
  /** Most this run sends a second whatever its share (its `--rpm`); undefined: no cap of its own. */
  readonly cap?: number | undefined
}

/** Where the runs sharing a quota post their notes: a folder for processes (peer-files.ts), memory for the simulator. */
export interface PeerBoard {
  /** The board's clock, ms: `learnedAt` is read against it. */
  now(): number
  /** Posts `note` (replacing this run's last one) and returns the live notes of the other runs. */
  exchange(note: PeerNote): PeerNote[]
  /** Takes this run's note down: the run is over. */
  leave(id: string): void
}

/** A run's note counts for this long after it was posted: a run that stopped posting has ended or hangs. */
export const PEER_STALE_MS = 5000

/** The newest total quota posted among `notes`, or undefined when none has one. */
export function newestQuota(notes: readonly PeerNote[]): PeerNote | undefined {
  let newest: PeerNote | undefined
  for (const note of notes) {
    if (note.quota === undefined) continue
    if (newest === undefined || note.learnedAt > newest.learnedAt) newest = note
  }
  return newest
}

/**
 * This run's pace out of `budget` (per second, for every run sharing it): runs whose cap is
 * under an equal share take their cap, the others divide what is left (water-filling). An
 * equal split alone gave a side job run with `--rpm 30` half of a 240 quota it could not use,
 * and halved the main run's pace. `given` is what the others are given, together.
 */
export function shareOf(budget: number, cap: number | undefined, otherCaps: ReadonlyArray<number | undefined>): { mine: number; given: number } {
  const caps = [cap, ...otherCaps].map((c) => c ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b)
  let left = budget
  let runs = caps.length
  for (const c of caps) {
    if (c >= left / runs) break
    left -= c
    runs -= 1
  }
  const equal = left / runs
  const mine = Math.min(cap ?? Number.POSITIVE_INFINITY, equal)
  return { mine, given: budget - mine }
}

/** A board in memory, for runs in one process (the simulator, tests). */
export class MemoryBoard implements PeerBoard {
  readonly #now: () => number
  readonly #notes = new Map<string, { note: PeerNote; postedAt: number }>()

  constructor(now: () => number) {
    this.#now = now
  }

  now(): number {
    return this.#now()
  }

  exchange(note: PeerNote): PeerNote[] {
    const now = this.#now()
    this.#notes.set(note.id, { note, postedAt: now })
    const others: PeerNote[] = []
    for (const [id, posted] of this.#notes) {
      if (id === note.id) continue
      if (now - posted.postedAt > PEER_STALE_MS) this.#notes.delete(id)
      else others.push(posted.note)
    }
    return others
  }

  leave(id: string): void {
    this.#notes.delete(id)
  }
}
