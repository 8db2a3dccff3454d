import { once } from 'node:events'
import { Agent, createServer, get } from 'node:http'
import { describe, expect, it } from 'vitest'
import { listen } from '../src/net/listen.js'

describe('listen() starts a server on a free port and stops it', () => {
  it('gives a 127.0.0.1 URL that answers', async () => {
    const server = createServer((_req, res) => res.end('hello'))
    const { url, close } = await listen(server)
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const response = await fetch(url)
    expect(await response.text()).toBe('hello')
    await close()
  })

  it('brackets an IPv6 host in the URL', async () => {
    const { url, close } = await listen(createServer((_req, res) => res.end('v6')), { host: '::1' })
    expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/)
    expect(await (await fetch(url)).text()).toBe('v6')
    await close()
  })

  it('close() ends a connection still waiting for its answer instead of waiting for it', async () => {
    const server = createServer(() => {
      // Never answers: server.close() alone would wait for this request forever.
    })
    const { url, close } = await listen(server)
    const agent = new Agent({ keepAlive: true })
    const request = get(url, { agent })
    const failed = once(request, 'error')
    await once(server, 'request')
    await close()
    const [error] = (await failed) as [NodeJS.ErrnoException]
    expect(error.code).toBe('ECONNRESET')
    agent.destroy()
  })

  it('rejects when the address cannot be bound', async () => {
    await expect(listen(createServer(), { host: '192.0.2.1' })).rejects.toThrow(/EADDRNOTAVAIL/)
  })
})
