import { cellText, type Row } from './item.js'

/**
 * What a row asks for, as a string: its URL, and, when the prompt names columns, those
 * cells too: two rows with one URL and another `{team}` are two requests, each done once.
 * A missing cell counts as empty. The run's duplicate detection and `--resume` both use it.
 */
export function workKey(url: string, columns: readonly string[], row: Row | undefined): string {
  if (columns.length === 0) return url
  return `${url}\u0000${JSON.stringify(columns.map((name) => cellText(row?.[name])))}`
}
