import type { ExtractBudget } from './budget.js'
import { prototypes, type DomElement } from './dom.js'
import { MarkupSnapshot } from './markup-snapshot.js'

/**
 * What JSDOMParser's DOM does differently while Readability runs on it (inside `withBudget`):
 * the members Readability spends its time in check the page's deadline, and `innerHTML`
 * is a MarkupSnapshot instead of markup. Readability has no hooks of its own, so these wrap
 * the prototypes' members; outside `withBudget` every member behaves as JSDOMParser wrote it.
 * Extraction is synchronous, so one module-level budget is enough.
 */
let activeBudget: ExtractBudget | undefined

/** Runs `fn` (Readability) under `budget`: past the deadline, the DOM throws PAGE_TOO_COMPLEX. */
export function withBudget<T>(budget: ExtractBudget, fn: () => T): T {
  activeBudget = budget
  try {
    return fn()
  } finally {
    activeBudget = undefined
  }
}

function guardMethod(prototype: object, name: string): void {
  const original = Reflect.get(prototype, name) as (...args: unknown[]) => unknown
  Object.defineProperty(prototype, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      activeBudget?.check()
      return original.apply(this, args)
    },
  })
}

function accessor(prototype: object, name: string): { get: (this: unknown) => unknown; set: (this: unknown, value: unknown) => void } {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, name)
  if (descriptor?.get === undefined || descriptor.set === undefined) throw new Error(`JSDOMParser has no ${name} accessor to wrap`)
  return { get: descriptor.get, set: descriptor.set }
}

function guardAccessor(prototype: object, name: string): void {
  const { get, set } = accessor(prototype, name)
  Object.defineProperty(prototype, name, {
    configurable: true,
    get(this: unknown) {
      activeBudget?.check()
      return get.call(this)
    },
    set(this: unknown, value: unknown) {
      activeBudget?.check()
      set.call(this, value)
    },
  })
}

/**
 * Readability 0.6.0 reads `innerHTML` to cache the body before each attempt and restore it
 * after a failed one, to log the article (debug off or not), to copy a <noscript>'s content
 * into an element and to test embeds' markup with a regular expression. A snapshot serves all
 * four: the setter restores it, and string conversion serialises what it recorded.
 */
function snapshotInnerHtml(): void {
  const { get, set } = accessor(prototypes.element, 'innerHTML')
  const serializeChildren = (element: DomElement): string => get.call(element) as string
  Object.defineProperty(prototypes.element, 'innerHTML', {
    configurable: true,
    get(this: DomElement) {
      if (activeBudget === undefined) return get.call(this)
      activeBudget.check()
      return new MarkupSnapshot(this, serializeChildren)
    },
    set(this: DomElement, value: unknown) {
      activeBudget?.check()
      if (value instanceof MarkupSnapshot) value.restoreInto(this)
      else set.call(this, value)
    },
  })
}

// Every Readability pass goes through these: whole-tree searches, text of a subtree, and the
// cache/restore of the page between its attempts.
guardMethod(prototypes.element, 'getElementsByTagName')
guardMethod(prototypes.document, 'getElementsByTagName')
guardAccessor(prototypes.element, 'textContent')
snapshotInnerHtml()
