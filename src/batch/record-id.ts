/**
 * A record's id is its input line, so the line ↔ recordId map needs no storage: `L` and the
 * line number in base 36, upper case, zero-padded to a fixed width (Bedrock's ids are
 * short alphanumeric strings; a fixed width keeps lexical and numeric order the same).
 */
const WIDTH = 9 // 36^8 lines: far past any input

export function recordIdOf(line: number): string {
  return `L${line.toString(36).toUpperCase().padStart(WIDTH - 1, '0')}`
}

/** The line a recordId of ours stands for; undefined for an id we did not write. */
export function lineOf(recordId: string): number | undefined {
  if (!/^L[0-9A-Z]{8}$/.test(recordId)) return undefined
  const line = Number.parseInt(recordId.slice(1), 36)
  return line >= 1 ? line : undefined
}
