/** Exit codes, as documented in the README. */
export const EXIT = { OK: 0, PAGES_FAILED: 1, USAGE: 2, INTERRUPTED: 130, OUTPUT_CLOSED: 141 } as const
