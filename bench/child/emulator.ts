/**
 * Child process: the Bedrock emulator, out of the measured process. First IPC message: the
 * emulator options; answers `{ type: 'listening', url }`, then `{ type: 'stats', stats }` to
 * every `'stats'` message; exits when the parent disconnects.
 */
import { startEmulator, type EmulatorOptions } from '../../src/emulator/server.js'
import type { ListeningMessage } from '../processes.js'

// Ctrl-C reaches the whole process group: the bench stops its servers itself, after the run in progress.
process.on('SIGINT', () => {})

process.once('message', (options: EmulatorOptions) => {
  void startEmulator(options).then((emulator) => {
    process.on('message', (message) => {
      if (message === 'stats') process.send?.({ type: 'stats', stats: emulator.stats() })
    })
    process.send?.({ type: 'listening', url: emulator.url } satisfies ListeningMessage)
    process.once('disconnect', () => void emulator.close().then(() => process.exit(0)))
  })
})
