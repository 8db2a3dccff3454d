/**
 * Child process: serves the page corpus and the light pages, so that serving costs no CPU
 * in the process being measured. First IPC message: `{ dir, pages }`; answers
 * `{ type: 'listening', url }`; exits when the parent disconnects.
 */
import { startPageServer } from '../page-server.js'
import type { ListeningMessage } from '../processes.js'

// Ctrl-C reaches the whole process group: the bench stops its servers itself, after the run in progress.
process.on('SIGINT', () => {})

process.once('message', (message: { dir: string; pages: string[] }) => {
  void startPageServer(message.dir, message.pages).then((server) => {
    process.send?.({ type: 'listening', url: server.url } satisfies ListeningMessage)
    process.once('disconnect', () => void server.close().then(() => process.exit(0)))
  })
})
