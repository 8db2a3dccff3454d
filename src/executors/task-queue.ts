import { queueOptionsSymbol, type TaskQueue } from 'piscina'
import { SmallestFirst } from './smallest-first.js'

type Task = Parameters<TaskQueue['push']>[0]

/** What the pool puts on a task (under Piscina's `queueOptionsSymbol`) for the queue to order it by. */
export interface QueueOptions {
  /** The page body's size in bytes: the cost the queue orders by. */
  size: number
}

/**
 * Piscina's task queue, smallest page first with aging (SmallestFirst), in place of its FIFO.
 * Piscina hands a task to a thread at once while one has room (`concurrentTasksPerWorker`)
 * and queues the rest here; a thread that frees up takes `shift()`. The size travels on the
 * task under `queueOptionsSymbol`, a symbol key that structured clone leaves behind.
 *
 * It replaced a queue of the same order kept in front of Piscina (at most two pages a thread
 * handed over), once the two measured level: `npx tsx bench/pool-queue.ts --reps 15 --copies 3`,
 * 270 corpus pages offline, 2 threads, 32 in flight, alternating in one process on a shared
 * 2-core machine: wall time paired ratio 1.05 (0.58–1.78), CPU time 0.99 (0.79–1.15)
 * (bench/results/pool-queue.json).
 */
export class SmallestFirstTaskQueue implements TaskQueue {
  readonly #tasks: SmallestFirst<Task>

  /** `now`: the clock the queue ages tasks by, in ms (tests freeze it). */
  constructor(now?: () => number) {
    this.#tasks = new SmallestFirst(now)
  }

  get size(): number {
    return this.#tasks.size
  }

  push(task: Task): void {
    const options = task[queueOptionsSymbol] as Partial<QueueOptions> | null
    this.#tasks.push(task, options?.size ?? 0)
  }

  shift(): Task | null {
    return this.#tasks.shift() ?? null
  }

  remove(task: Task): void {
    this.#tasks.remove(task)
  }
}

/** A task payload with its size attached for SmallestFirstTaskQueue. */
export function withQueueOptions<T extends object>(payload: T, options: QueueOptions): T {
  return Object.assign(payload, { [queueOptionsSymbol]: options })
}
