/**
 * The key under which two URLs name the same page: equal once parsed and normalised, with
 * the fragment dropped, because a fragment never reaches the server. Duplicate input lines
 * and redirect loops are both decided by it.
 */
export function urlKey(url: string | URL): string {
  const parsed = new URL(url)
  parsed.hash = ''
  return parsed.href
}
