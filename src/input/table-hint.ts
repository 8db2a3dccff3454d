/**
 * A one-line hint when the first line of a URL list reads like a table: a JSON object (JSON
 * Lines), a header of several comma- or tab-separated names one of which names a URL column,
 * or a URL followed by cells of text. Read as a list, such a file fails line by line; the hint says what to type instead.
 */
export function tableHint(firstLine: string): string | undefined {
  if (firstLine.startsWith('PAR1')) return 'the input looks like a Parquet file: name it `.parquet` or add --input-format parquet'
  if (firstLine.startsWith('{')) return 'the input looks like JSON Lines (its first line is an object): name it `.jsonl` or add --input-format jsonl'
  for (const [delimiter, format] of [
    ['\t', 'tsv'],
    [',', 'csv'],
  ] as const) {
    const cells = firstLine.split(delimiter).map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'))
    if (cells.length < 2) continue
    // A URL may hold a comma, but not a header name beside it, nor a cell with a space after it.
    const header = cells.some((cell) => /^(url|link|href|uri|page|website)s?$/i.test(cell))
    const row = /^https?:\/\//i.test(cells[0] ?? '') && cells.slice(1).some((cell) => /\s/.test(cell))
    if (header || row) {
      return `the input looks like a ${format.toUpperCase()} table (first line ${JSON.stringify(firstLine.length > 80 ? `${firstLine.slice(0, 80)}…` : firstLine)}): name it \`.${format}\` or add --input-format ${format}, and --url-column NAME if its URL column is not \`url\``
    }
  }
  return undefined
}
