import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// Built once for every test file by test/global-setup.ts.
const bin = fileURLToPath(new URL('../dist/src/cli/bin.js', import.meta.url))

/** Emulators started through an intermediate: a failing test must not leave them serving. */
const orphans: number[] = []
afterAll(() => {
  for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL')
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the built emulator bin', () => {
  it('says that it is stopping on SIGTERM, not that it finishes pages, and exits 0', async () => {
    const child = spawn(process.execPath, [bin, 'emulator'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const [first] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
    expect(first).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/)
    child.kill('SIGTERM')
    const [code] = (await once(child, 'exit')) as [number | null]
    expect(code).toBe(0)
    expect(stderr).toMatch(/^\nemulator: SIGTERM: stopping\nemulator: 0 requests: /)
    expect(stderr).not.toContain('pages')
  })

  it('stops when the process that started it is killed, as `kill $!` does after `npx summarize-urls emulator &`', async () => {
    // The intermediate stands for npx: it starts the real bin as its child (with the variable
    // npm exec sets) and passes no signal on.
    const starter = spawn(
      process.execPath,
      ['-e', `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(bin)}, 'emulator'], { stdio: 'inherit' }); console.log('pid ' + c.pid)`],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_command: 'exec' } },
    )
    let stderr = ''
    starter.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const lines = createInterface({ input: starter.stdout })
    let pid = 0
    let url = ''
    for await (const line of lines) {
      if (line.startsWith('pid ')) pid = Number(line.slice(4))
      if (line.startsWith('listening on ')) url = line.slice('listening on '.length)
      if (pid !== 0 && url !== '') break
    }
    orphans.push(pid)
    expect(alive(pid)).toBe(true)
    expect((await fetch(`${url}/nothing-here`)).status).toBe(404)

    // Its stderr ends when the last process writing to it, the emulator, has exited (a zombie
    // left unreaped in a container without init would still answer kill(pid, 0)).
    const ended = once(starter.stderr, 'end')
    starter.kill('SIGTERM')
    await once(starter, 'exit')
    await ended
    expect(stderr).toMatch(/emulator: the process that started it \(pid \d+\) exited: stopping\nemulator: 1 requests: /)
    await expect(fetch(`${url}/nothing-here`)).rejects.toThrow()
  }, 30_000)

  it('started directly (not through npx), it keeps serving after the script that started it exits', async () => {
    const env = { ...process.env }
    delete env['npm_command']
    const starter = spawn(
      process.execPath,
      ['-e', `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(bin)}, 'emulator'], { stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.once('data', (d) => { console.log('pid ' + c.pid); process.stdout.write(d); process.exit(0) })`],
      { stdio: ['ignore', 'pipe', 'ignore'], env },
    )
    const lines = createInterface({ input: starter.stdout })
    let pid = 0
    let url = ''
    for await (const line of lines) {
      if (line.startsWith('pid ')) pid = Number(line.slice(4))
      if (line.startsWith('listening on ')) url = line.slice('listening on '.length)
      if (pid !== 0 && url !== '') break
    }
    orphans.push(pid)
    await once(starter, 'exit')
    // Past several of the parent polls an npx-started emulator would make.
    for (let i = 0; i < 4; i++) {
      expect((await fetch(`${url}/nothing-here`)).status).toBe(404)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    expect(alive(pid)).toBe(true)
  }, 30_000)
})
