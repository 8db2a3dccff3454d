/**
 * Serves a folder on 127.0.0.1 in its own process for benchmarks, so the page server's CPU
 * is not charged to the strategy being measured. Prints `listening on URL`; stops on SIGTERM.
 * (python3 -m http.server is no substitute under load: its listen backlog of 5 drops
 * connections when 16 pages are fetched at once, and the SYN retries look like slow pages.)
 */
import { serveDirectory } from '../src/cli/static-server.js'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: page-server.ts DIR')
const server = await serveDirectory(dir)
console.log(`listening on ${server.url}`)
const stop = (): void => void server.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
