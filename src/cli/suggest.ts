/** Edits (insertions, deletions, substitutions) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/**
 * The candidate `word` was most likely meant to be, if one is close: at most two edits, and
 * fewer than half its length, so `ab` is not read as `at` and `emulatr` is read as `emulator`.
 * Case is ignored (`--Threads`).
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase()
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase())
    if (distance <= 2 && distance * 2 < Math.max(typed.length, candidate.length) && (best === undefined || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}
