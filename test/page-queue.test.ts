import { describe, expect, it } from 'vitest'
import { PageQueue } from '../src/executors/page-queue.js'
import { MAX_BYPASS_MS, SmallestFirst } from '../src/executors/smallest-first.js'

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

  it('a page taken out while it waits (cancelled) is never handed out, and the rest keep their order', () => {
    const queue = new SmallestFirst<string>(() => 0)
    for (const [name, size] of [['a', 30], ['b', 10], ['c', 20], ['d', 5]] as const) queue.push(name, size)
    expect(queue.remove('d')).toBe(true)
    expect(queue.remove('d')).toBe(false)
    expect(queue.size).toBe(3)
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()]).toEqual(['b', 'c', 'a', undefined])
    expect(queue.size).toBe(0)
  })

  it('a page handed out and given back at once (no thread had room) keeps its age, so aging still bounds its wait', () => {
    let now = 0
    const queue = new SmallestFirst<string>(() => now)
    queue.push('big', 1_000_000)
    now += MAX_BYPASS_MS
    queue.push('small', 1_000)
    // The big page has waited MAX_BYPASS_MS: it is next, but goes back (as Piscina returns a task no thread can take).
    expect(queue.shift()).toBe('big')
    queue.push('big', 1_000_000)
    now += 1
    expect(queue.shift()).toBe('big')
    expect(queue.shift()).toBe('small')
  })

  it('many pages through a long run: every page comes out once, and those left drain smallest first', () => {
    const queue = new SmallestFirst<number>(() => 0)
    const size = (i: number): number => (i * 7_919) % 5_003
    const out: number[] = []
    for (let i = 0; i < 5_000; i++) {
      queue.push(i, size(i))
      if (i % 3 === 2) out.push(queue.shift() as number, queue.shift() as number)
    }
    const rest: number[] = []
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) rest.push(item)
    expect(rest.map(size)).toEqual(rest.map(size).sort((a, b) => a - b))
    expect(new Set([...out, ...rest]).size).toBe(5_000)
    expect(queue.size).toBe(0)
  })
})
