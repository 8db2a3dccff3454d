import { join } from 'node:path'
import { cacheDirOf } from '../cache/dir.js'
import type { SummarizerConfig } from '../summarizers/config.js'
import { quotaKeyOf } from '../summarizers/quota-key.js'
import { FileBoard } from './peer-files.js'
import type { PeerBoard } from './peers.js'

/** The board a run posts its learned rate on (`--share-rate`, on by default): a folder under the cache directory. */
export function peerBoard(options: { shareRate: boolean; cacheDir?: string | undefined }, summarizer: SummarizerConfig): PeerBoard | undefined {
  const key = options.shareRate ? quotaKeyOf(summarizer) : undefined
  return key === undefined ? undefined : new FileBoard(join(cacheDirOf(options), 'peers'), key)
}
