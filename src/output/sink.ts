import type { PageRecord } from '../record.js'

/** Where finished records go. `write` is called in output order, one record at a time. */
export interface RecordSink {
  /** `signal` aborts a write that waits on a full stream (stdout nobody reads) at Ctrl-C. */
  write(record: PageRecord, signal?: AbortSignal): void | Promise<void>
}
