import { describe, expect, it } from 'vitest'
import { MAX_BYPASS_MS, PageQueue } from '../src/executors/page-queue.js'

/** Queues pages of these sizes, then lets them go one at a time; gives the sizes in the order they went. */
async function order(queue: PageQueue, sizes: number[], between: () => void = () => {}): Promise<number[]> {
  const went: number[] = []
  const waits = sizes.map((size) => queue.wait(size).then(() => void went.push(size)))
  for (let i = 0; i < sizes.length; i++) {
    between()
    expect(queue.next()).toBe(true)
    await Promise.resolve()
  }
  await Promise.all(waits)
  expect(queue.next()).toBe(false)
  return went
}

describe('pages waiting for a thread', () => {
  it('go smallest first: the cheapest extraction reaches the model soonest', async () => {
    expect(await order(new PageQueue(), [90_000, 4_000, 250_000, 12_000, 4_000])).toEqual([4_000, 4_000, 12_000, 90_000, 250_000])
  })

  it('but a page that has waited MAX_BYPASS_MS goes next whatever its size, so none starves', async () => {
    let now = 0
    const queue = new PageQueue(() => now)
    const went: number[] = []
    const big = queue.wait(1_000_000).then(() => void went.push(1_000_000))
    // A stream of small pages keeps arriving while the big one waits.
    for (let i = 0; i < 5; i++) {
      void queue.wait(1_000 + i).then(() => void went.push(1_000 + i))
      now += MAX_BYPASS_MS / 4
      queue.next()
      await Promise.resolve()
    }
    await big
    // Small pages went first until the big one had waited MAX_BYPASS_MS (4 turns of a quarter
    // of it); then it went before the smaller page beside it, which went on the next turn.
    expect(went).toEqual([1_000, 1_001, 1_002, 1_000_000, 1_003])
  })
})
