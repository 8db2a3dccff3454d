/**
 * Pages inside the default 5 MiB size cap whose markup explodes a DOM (issue 10), one per
 * shape, generated rather than committed. `reason` matches the PAGE_TOO_COMPLEX message each
 * must get. Shared by test/explosive-pages.test.ts and bench/extract.ts --explosive.
 */
export const EXPLOSIVE_PAGES: Record<string, { body: string; reason: RegExp }> = {
  // About 1.2 million void elements in 4.8 MB.
  '/flat': { body: `<html><body>${'<br>'.repeat(1_200_000)}</body></html>`, reason: /more than 200,000 elements$/ },
  // 260,000 unclosed tags, each inside the one before: 1.3 MB.
  '/nested': { body: `<html><body>${'<div>'.repeat(260_000)}text</body></html>`, reason: /more than 25,000 elements open at once/ },
  // 40,000 elements of 12 attributes each: 3.2 MB.
  '/attributes': {
    body: `<html><body>${`<i ${Array.from({ length: 12 }, (_, i) => `a${i}=1`).join(' ')}>x</i>`.repeat(40_000)}</body></html>`,
    reason: /more than 400,000 attributes$/,
  },
  // 4 MB of prose with no markup at all.
  '/text': { body: `<html><body><p>${'All work and no play makes a dull page. '.repeat(100_000)}</p></body></html>`, reason: /characters of text without markup$/ },
}
