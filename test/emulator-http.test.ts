import { afterEach, describe, expect, it } from 'vitest'
import { sendJson, serve } from '../src/emulator/http.js'
import type { Listening, Protocol } from '../src/emulator/http.js'
import { StatsRecorder } from '../src/emulator/stats.js'

const running: Listening[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()))
})

/** A protocol with its own request-id header and error shape, as a new protocol module would have. */
function toyProtocol(name: string, routes: Protocol['routes']): Protocol {
  return {
    routes,
    begin: (res) => res.setHeader('x-toy-protocol', name),
    notFound: ({ res }) => sendJson(res, 404, { error: `${name}: no route` }),
    internalError: (res, message) => sendJson(res, 500, { error: `${name}: ${message}` }),
  }
}

async function start(...protocols: [Protocol, ...Protocol[]]): Promise<{ url: string; stats: StatsRecorder }> {
  const stats = new StatsRecorder(() => performance.now(), performance.now())
  const server = await serve({ host: '127.0.0.1', port: 0, protocols, stats })
  running.push(server)
  return { url: server.url, stats }
}

describe('emulator route table', () => {
  it('sends each request to the protocol whose route matches, with URL-decoded path parameters', async () => {
    const echo = toyProtocol('echo', [{ method: 'POST', path: /^\/echo\/([^/]+)$/, handle: async ({ res, params }) => sendJson(res, 200, { params }) }])
    const chat = toyProtocol('chat', [{ method: 'GET', path: /^\/v1\/models$/, handle: async ({ res }) => sendJson(res, 200, { data: [] }) }])
    const { url, stats } = await start(echo, chat)

    const echoed = await fetch(`${url}/echo/us.model-v1%3A0?ignored=1`, { method: 'POST' })
    expect(echoed.headers.get('x-toy-protocol')).toBe('echo')
    expect(await echoed.json()).toEqual({ params: ['us.model-v1:0'] })
    const models = await fetch(`${url}/v1/models`)
    expect(models.headers.get('x-toy-protocol')).toBe('chat')
    expect(await models.json()).toEqual({ data: [] })
    expect(stats.snapshot()).toMatchObject({ requests: 2, ok: 2 })
  })

  it('answers a request no route matches, including a known path with the wrong method, in the first protocol shape', async () => {
    const first = toyProtocol('first', [{ method: 'POST', path: /^\/call$/, handle: async ({ res }) => sendJson(res, 200, {}) }])
    const second = toyProtocol('second', [])
    const { url, stats } = await start(first, second)
    for (const request of [fetch(`${url}/call`), fetch(`${url}/elsewhere`, { method: 'POST' })]) {
      const response = await request
      expect(response.status).toBe(404)
      expect(response.headers.get('x-toy-protocol')).toBe('first')
      expect(await response.json()).toEqual({ error: 'first: no route' })
    }
    expect(stats.snapshot()).toMatchObject({ requests: 2, validation: 2 })
  })

  it('answers a handler that throws with its own protocol error shape, counted as a server error', async () => {
    const fallback = toyProtocol('fallback', [])
    const broken = toyProtocol('broken', [
      {
        method: 'GET',
        path: /^\/broken$/,
        handle: async () => {
          throw new Error('boom')
        },
      },
    ])
    const { url, stats } = await start(fallback, broken)
    const response = await fetch(`${url}/broken`)
    expect(response.status).toBe(500)
    expect(response.headers.get('x-toy-protocol')).toBe('broken')
    expect(await response.json()).toEqual({ error: 'broken: emulator bug: boom' })
    expect(stats.snapshot()).toMatchObject({ requests: 1, errors: 1 })
  })
})
