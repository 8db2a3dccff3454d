import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseJsonl, runCli } from './helpers/cli.js'

// Raw bytes on a socket: node:http cannot be made to break its own framing.
const REPLIES: Record<string, string> = {
  '/chunk-size': 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n<html>hello\r\n0\r\n\r\n',
  '/chunk-overrun': 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<html><body>far more than five bytes\r\n0\r\n\r\n',
  '/status-line': 'HTTP/1.1 2OO OK\r\nContent-Type: text/html\r\n\r\n<html>',
  '/header': 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nBad Header Line\r\n\r\n<html>',
}

let server: net.Server
let base: string

beforeAll(async () => {
  server = net.createServer((socket) => {
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      const path = /^GET (\S+)/.exec(head)?.[1] ?? ''
      socket.end(REPLIES[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('a site that breaks HTTP/1.1', () => {
  it('gets FETCH_FAILED records naming its host, never INTERNAL, in every strategy', async () => {
    const paths = Object.keys(REPLIES)
    for (const strategy of ['async', 'pool']) {
      const result = await runCli(['-', '--provider', 'extractive', '--quiet', '--strategy', strategy, '--threads', '1'], { stdin: paths.map((path) => `${base}${path}`).join('\n') })
      expect(result.code, strategy).toBe(1)
      const records = parseJsonl(result.stdout)
      expect(records).toHaveLength(paths.length)
      for (const record of records) {
        const error = record['error'] as { code: string; message: string }
        expect(error.code, `${strategy} ${String(record['url'])}`).toBe('FETCH_FAILED')
        expect(error.message).toContain(`${new URL(base).host} sent a malformed HTTP response: Response does not match the HTTP/1.1 protocol`)
      }
      expect((records[0]!['error'] as { message: string }).message).toContain('chunk size')
    }
  })
})
