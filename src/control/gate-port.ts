import type { MessagePort } from 'node:worker_threads'
import { PageError, isErrorData } from '../errors.js'
import type { CallGate, CallOutcome, Permit } from './gate.js'

/**
 * The rate controller lives on the main thread; a worker thread reaches it through a
 * MessagePort given with each task. The protocol is four messages:
 *   worker → main  { type: 'acquire', id, tokens }      main → worker  { type: 'granted', id }
 *   worker → main  { type: 'done', id, outcome }        main → worker  { type: 'refused', id, error }
 *   worker → main  { type: 'end' }                      main → worker  { type: 'ended' }
 * The last pair closes a task: messages on one port arrive in order, so `ended` means every
 * outcome reached the controller. Without it a task's result (on Piscina's own port) could
 * overtake its last `done`, and the breaker would miss a fatal error.
 */
type ToMain = { type: 'acquire'; id: number; tokens: number } | { type: 'done'; id: number; outcome: CallOutcome } | { type: 'end' }
type ToWorker = { type: 'granted'; id: number } | { type: 'refused'; id: number; error: { code: string; message: string; attempts: number } } | { type: 'ended' }

/**
 * Main-thread side: answers one task's requests with `gate`. Returns a function that ends the
 * task: permits the worker still holds (the thread died, or the task ended early) are released.
 */
export function serveGate(port: MessagePort, gate: CallGate, signal?: AbortSignal): () => void {
  const held = new Map<number, Permit>()
  let closed = false
  // Requests still queued when the task ends (its thread died) leave the queue, instead of
  // being granted to nobody and spending quota.
  const ended = new AbortController()
  const waitSignal = signal === undefined ? ended.signal : AbortSignal.any([signal, ended.signal])
  port.on('message', (message: ToMain) => {
    if (message.type === 'acquire') {
      gate.acquire(message.tokens, waitSignal).then(
        (permit) => {
          if (closed) return permit.done({ kind: 'cancelled' })
          held.set(message.id, permit)
          port.postMessage({ type: 'granted', id: message.id } satisfies ToWorker)
        },
        (error: unknown) => {
          if (closed) return
          const data = error instanceof PageError ? { code: error.code, message: error.message, attempts: error.attempts } : { code: 'INTERNAL', message: String(error), attempts: 1 }
          port.postMessage({ type: 'refused', id: message.id, error: data } satisfies ToWorker)
        },
      )
    } else if (message.type === 'done') {
      held.get(message.id)?.done(message.outcome)
      held.delete(message.id)
    } else {
      port.postMessage({ type: 'ended' } satisfies ToWorker)
    }
  })
  return () => {
    closed = true
    ended.abort()
    for (const permit of held.values()) permit.done({ kind: 'cancelled' })
    held.clear()
    port.close()
  }
}

/** Worker side: a `CallGate` that asks the main thread. */
export class RemoteGate implements CallGate {
  readonly #port: MessagePort
  readonly #pending = new Map<number, { resolve: (permit: Permit) => void; reject: (error: unknown) => void }>()
  #nextId = 0
  #ended: (() => void) | undefined

  constructor(port: MessagePort) {
    this.#port = port
    port.on('message', (message: ToWorker) => {
      if (message.type === 'ended') return this.#ended?.()
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      this.#pending.delete(message.id)
      if (message.type === 'granted') pending.resolve(this.#permit(message.id))
      else {
        const data = message.error
        pending.reject(isErrorData(data) ? new PageError(data.code, data.message, { attempts: data.attempts }) : new Error(data.message))
      }
    })
  }

  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit> {
    const id = this.#nextId++
    // An abort while waiting is seen on the main thread (the task's signal there), which
    // answers `refused`: one place decides, so a slot is never granted to a gone caller.
    void signal
    return new Promise<Permit>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      this.#port.postMessage({ type: 'acquire', id, tokens: estimatedTokens } satisfies ToMain)
    })
  }

  /** Resolves once the main thread has every outcome this task reported; then closes the port. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#ended = resolve
      this.#port.postMessage({ type: 'end' } satisfies ToMain)
    })
    this.#port.close()
  }

  #permit(id: number): Permit {
    let open = true
    return {
      done: (outcome) => {
        if (!open) return
        open = false
        this.#port.postMessage({ type: 'done', id, outcome } satisfies ToMain)
      },
    }
  }
}
