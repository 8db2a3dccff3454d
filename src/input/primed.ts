import type { InputItem, InputReader } from './item.js'

/**
 * `reader` with its first item already read: a table whose first row cannot be parsed (a quote
 * never closed reads the rest of the file as one cell) refuses the job here, before `--out`
 * is opened, so an earlier output file is never truncated for a run that writes nothing. The
 * items that follow are read lazily, as before.
 */
export async function primed(reader: InputReader): Promise<InputReader> {
  const items = reader.items()
  const first = await items.next()
  return {
    columns: reader.columns,
    rows: reader.rows,
    close: () => reader.close(),
    async *items(): AsyncGenerator<InputItem> {
      if (first.done === true) return
      yield first.value
      yield* items
    },
  }
}
