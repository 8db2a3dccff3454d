import { isUtf8 } from 'node:buffer'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A content-extraction data set with hand-made ground truth, in the Dragnet layout
 * (seomoz/dragnet_data, WWW 2013: 1,381 pages collected in 2012, AGPLv3, so it is read
 * from where the user unpacked it and never vendored here):
 *
 *   DIR/HTML/X.html                    the page as crawled
 *   DIR/Corrected/X.html.corrected.txt the main text a person cut from it; what follows
 *                                      the line `!@#$%^&*()  COMMENTS` is user comments
 *   DIR/training.txt, DIR/test.txt     the page names of each half, one a line
 *
 * Its training half is the dev split (the one extraction rules may be tuned on), its test
 * half the held-out split (reported, never tuned on).
 */
export type GoldSplit = 'dev' | 'held-out'

export const GOLD_SPLITS: readonly GoldSplit[] = ['dev', 'held-out']

const SPLIT_FILES: Record<GoldSplit, string> = { dev: 'training.txt', 'held-out': 'test.txt' }

/** Where to get it, for the message a run without it prints. */
export const GOLD_DATASET_HINT =
  'unpack seomoz/dragnet_data (dragnet_HTML.tar.gz and dragnet_Corrected.tar.gz, beside training.txt and test.txt) into a folder and pass it with --data DIR or DRAGNET_DATA=DIR'

/**
 * The line that starts the comments, typed by hand: `!@#$%^&*()  COMMENTS` on most pages,
 * with a character missing, doubled or replaced on about a dozen (`!@ $%^&*()`, `!@#$%$%^&*()`,
 * `@#$%^&*()`, a tab before COMMENTS).
 */
const COMMENTS_MARK = /^[ \t]*[!@#$%^&*() ]{6,}\s*COMMENTS[ \t]*\r?$/m

export interface GoldPage {
  name: string
  htmlPath: string
  /** The main text only: user comments are not part of a page's main content. */
  reference: string
}

/** Why `dir` is not a usable data set, or undefined when it is. */
export function goldDatasetProblem(dir: string): string | undefined {
  for (const part of ['HTML', 'Corrected', ...Object.values(SPLIT_FILES)]) {
    if (!existsSync(join(dir, part))) return `\`${dir}\` has no \`${part}\`: ${GOLD_DATASET_HINT}`
  }
  return undefined
}

/** The pages of one split that have both their HTML and their ground truth, in the split file's order. */
export function readGoldSplit(dir: string, split: GoldSplit): GoldPage[] {
  const problem = goldDatasetProblem(dir)
  if (problem !== undefined) throw new TypeError(problem)
  const names = readFileSync(join(dir, SPLIT_FILES[split]), 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  const pages: GoldPage[] = []
  for (const name of names) {
    const htmlPath = join(dir, 'HTML', `${name}.html`)
    const goldPath = join(dir, 'Corrected', `${name}.html.corrected.txt`)
    // The data set's own README lists a few pages it dropped as unparseable.
    if (!existsSync(htmlPath) || !existsSync(goldPath)) continue
    const reference = decodeGold(readFileSync(goldPath)).split(COMMENTS_MARK)[0] ?? ''
    pages.push({ name, htmlPath, reference })
  }
  return pages
}

/**
 * The ground-truth files were saved by hand on several systems: most are UTF-8, a few are
 * UTF-16 with a byte order mark, a few Windows-1252.
 */
export function decodeGold(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  return new TextDecoder(isUtf8(bytes) ? 'utf-8' : 'windows-1252').decode(bytes)
}
