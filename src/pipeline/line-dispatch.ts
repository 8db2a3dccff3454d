import type { BreakerTrip } from '../control/breaker.js'
import type { InputItem, Row } from '../input/item.js'
import { columnPicker } from '../input/keep.js'
import { workKey } from '../input/work-key.js'
import type { ResolvedOptions } from '../options.js'
import { type PageContext, processPage } from '../process-page.js'
import type { PageRecord } from '../record.js'
import type { RunHooks, RunStats } from '../run.js'
import { urlKey } from '../url.js'
import type { AdmissionWindow } from './admission.js'
import { abortedError, internalError, notAttemptedError, unstartedRecord } from './line-records.js'
import type { OrderedWrites } from './ordered-writes.js'
import type { RunSignals } from './run-signals.js'
import { type Duplicate, duplicateRecord, SeenUrls } from './seen-urls.js'

export type Placed = 'started' | 'answered' | 'stopped'

export interface LineDispatchParts {
  ctx: PageContext
  options: ResolvedOptions
  writes: OrderedWrites
  window: AdmissionWindow
  signals: RunSignals
  /** Counts lines passed over and duplicates. */
  stats: RunStats
  skip: RunHooks['skip']
  /** The breaker's trip, once it has tripped. */
  breaker: () => BreakerTrip | null
}

/**
 * What becomes of each line the run reads: passed over (done before, `--resume`), answered at
 * once (a bad line, a duplicate of a finished page, a line after the breaker tripped), held
 * for the page in flight it repeats, or started as a page once the admission window lets it.
 * Every record goes to the ordered writes under its line's sequence number.
 */
export class LineDispatch {
  readonly #parts: LineDispatchParts
  readonly #seen = new SeenUrls()
  /** Each line's record carries its own row's cells, a duplicate's and an error's too. */
  readonly #pick: (row: Row | undefined) => Row | undefined

  constructor(parts: LineDispatchParts) {
    this.#parts = parts
    this.#pick = columnPicker(parts.options.keep)
  }

  /**
   * Places line `seq`: `started` a page, `answered` it without one, or `stopped` (the run was
   * stopped while the line waited: it reads no further).
   */
  async place(item: InputItem, seq: number): Promise<Placed> {
    const { stats, window, signals } = this.#parts
    const { ctx } = this.#parts
    if (this.#parts.skip?.({ line: item.line, url: item.url, input: this.#pick(item.columns), columns: item.columns }) === true) {
      stats.skipped += 1
      this.#parts.writes.complete(seq, null)
      return 'answered'
    }
    if (item.error !== undefined) return this.#answer(seq, item, unstartedRecord(item, ctx, item.error))
    // A template that reads columns makes two rows with one URL two different requests.
    const key = workKey(urlKey(item.url), this.#parts.options.template?.columns ?? [], item.columns)
    const earlier = this.#seen.lookup(key)
    if (earlier !== undefined) return this.#repeat(seq, item, earlier)
    const trip = this.#parts.breaker()
    if (trip !== null) return this.#answer(seq, item, unstartedRecord(item, ctx, notAttemptedError(trip)))
    await window.waitFor(seq, true)
    if (signals.signal.aborted || signals.reading.aborted) {
      this.#complete(seq, item, unstartedRecord(item, ctx, abortedError()))
      return 'stopped'
    }
    // The breaker may have tripped while this line waited for a slot.
    const tripped = this.#parts.breaker()
    if (tripped !== null) {
      this.#complete(seq, item, unstartedRecord(item, ctx, notAttemptedError(tripped)))
      return 'answered'
    }
    this.#startPage(item, key, seq)
    return 'started'
  }

  /** A line answered without a page of its own: it still waits for room in the reorder window. */
  async #answer(seq: number, item: InputItem, record: PageRecord): Promise<Placed> {
    await this.#parts.window.waitFor(seq, false)
    this.#complete(seq, item, record)
    return 'answered'
  }

  /** A line whose URL an earlier line asked for: its record, now or when that page finishes. */
  async #repeat(seq: number, item: InputItem, earlier: { record: string | undefined; waiting: Duplicate[] }): Promise<Placed> {
    this.#parts.stats.duplicates += 1
    // The page may finish during the wait: its entry then holds the record.
    await this.#parts.window.waitFor(seq, false)
    if (earlier.record !== undefined) this.#complete(seq, item, duplicateRecord(item, JSON.parse(earlier.record) as PageRecord))
    else earlier.waiting.push({ seq, line: item.line, url: item.url, ...(item.columns === undefined ? {} : { columns: item.columns }) })
    return 'answered'
  }

  #startPage(item: InputItem, key: string, seq: number): void {
    const { window, ctx, signals } = this.#parts
    window.enter()
    this.#seen.start(key)
    void processPage(item, ctx, signals.signal, signals.fetching).then(
      (record) => {
        this.#finish(key, seq, item, record)
        window.leave()
      },
      (error: unknown) => {
        this.#finish(key, seq, item, unstartedRecord(item, ctx, internalError(error)))
        window.leave()
      },
    )
  }

  #finish(key: string, seq: number, item: InputItem, record: PageRecord): void {
    this.#complete(seq, item, record)
    for (const duplicate of this.#seen.finish(key, record)) this.#complete(duplicate.seq, duplicate, duplicateRecord(duplicate, record))
  }

  #complete(seq: number, item: { columns?: InputItem['columns'] }, record: PageRecord): void {
    const input = this.#pick(item.columns)
    this.#parts.writes.complete(seq, input === undefined ? record : { ...record, input })
  }
}
