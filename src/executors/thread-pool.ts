import type { Transferable } from 'node:worker_threads'
import { Piscina, type TaskQueue } from 'piscina'
import type { AnalyzeTask } from '../analyze.js'
import { SmallestFirstTaskQueue, withQueueOptions } from './task-queue.js'
import { WORKER_YOUNG_GENERATION_MB } from './worker-heap.js'
import { WORKER_LOADER, WORKER_URL, type WorkerInit, type WorkerResult, type WorkerTask } from './worker-protocol.js'

/* The Piscina pool the `pool` strategy runs pages on, and one page's trip to it. pool.ts loads this module with import() when it starts threads, so a run that never needs them never loads piscina. */

export interface PagePoolSettings {
  threads: number
  /** Pages a thread holds at once (`concurrentTasksPerWorker`); the rest wait in `taskQueue`. */
  perThread: number
  /** Old-generation heap limit per thread, in MB. */
  memoryMb: number
  init: WorkerInit
  /** Where pages wait for a thread. Default: smallest first (SmallestFirstTaskQueue); the bench passes Piscina's FIFO to compare. */
  taskQueue?: TaskQueue
  /** The clock the default queue ages pages by, in ms (tests freeze it). */
  now?: () => number
}

/** Worker threads that analyze pages: a Piscina pool and one page's trip to it. */
export class PagePool {
  readonly #piscina: Piscina<WorkerTask, WorkerResult>

  constructor(settings: PagePoolSettings) {
    this.#piscina = new Piscina<WorkerTask, WorkerResult>({
      filename: WORKER_URL.href,
      workerData: settings.init,
      // Idle threads keep their compiled code for the whole run.
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: settings.memoryMb, maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      ...WORKER_LOADER,
      minThreads: settings.threads,
      maxThreads: settings.threads,
      concurrentTasksPerWorker: settings.perThread,
      taskQueue: settings.taskQueue ?? new SmallestFirstTaskQueue(settings.now),
    })
  }

  /** Pages waiting beyond those the threads (started or starting) hold. */
  get queueSize(): number {
    return this.#piscina.queueSize
  }

  /** Messages a thread posts outside a task's answer (WORKER_READY). */
  onMessage(listener: (message: unknown) => void): void {
    this.#piscina.on('message', listener)
  }

  /** One attempt at `task`: a copy of the bytes is transferred, so the page can be tried again if the thread dies. */
  run(task: AnalyzeTask): Promise<WorkerResult> {
    // A copy with a buffer of its own: a Node Buffer's slice() is a view, often into a pool
    // shared with other Buffers, and transferring that would detach them all. The copy is made
    // when the page is submitted, so a page waiting in the queue holds it until its turn.
    const body = new Uint8Array(task.body)
    const transferList: Transferable[] = [body.buffer as ArrayBuffer]
    return this.#piscina.run(withQueueOptions({ task: { ...task, body } }, { size: body.byteLength }), { transferList })
  }

  destroy(): Promise<void> {
    return this.#piscina.destroy()
  }
}
