import type { RequestListener } from 'node:http'
import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'

import { ERROR_CODES } from '../src/errors.js'
import { nonPublicAddressClass, type AddressPolicy } from '../src/net/address-policy.js'
import { guardedLookup } from '../src/net/guarded-lookup.js'
import { expectPageError, useFetchHarness } from './helpers/fetch-harness.js'

const { serve, fetcher, servers } = useFetchHarness()

const PAGE: RequestListener = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>reached</body></html>')
}

/** Counts connections to the newest server the harness started, so a test can show nothing reached it. */
function countConnections(): { readonly count: number } {
  const counter = { count: 0 }
  servers.at(-1)?.on('connection', () => counter.count++)
  return counter
}

function redirectTo(location: string): RequestListener {
  return (_req, res) => res.writeHead(302, { location }).end()
}

/** Refuses exactly the listed addresses, as a class named "test-denied". */
function denyOnly(...addresses: string[]): AddressPolicy {
  return (address) => (addresses.includes(address) ? 'test-denied' : null)
}

/** The loopback URLs `--deny-private` must refuse, each reaching a server when it is off. */
const LOOPBACK_TARGETS: Array<[name: string, url: (port: string) => string, bindTo: string, message: RegExp]> = [
  ['an IPv4 literal', (port) => `http://127.0.0.1:${port}/`, '127.0.0.1', /^refused 127\.0\.0\.1 \(loopback\) for host 127\.0\.0\.1: --deny-private$/],
  // localhost goes through DNS (/etc/hosts), so this is the lookup path, not the literal check.
  ['localhost', (port) => `http://localhost:${port}/`, '127.0.0.1', /^refused (127\.0\.0\.1|::1) \(loopback\)(, (127\.0\.0\.1|::1) \(loopback\))? for host localhost: --deny-private$/],
  ['an IPv6 literal', (port) => `http://[::1]:${port}/`, '::1', /^refused ::1 \(loopback\) for host \[::1\]: --deny-private$/],
  // The URL parser rewrites the host as [::ffff:7f00:1]; the socket would reach 127.0.0.1.
  ['an IPv4-mapped IPv6 literal', (port) => `http://[::ffff:127.0.0.1]:${port}/`, '127.0.0.1', /^refused ::ffff:7f00:1 \(IPv4-mapped loopback\) for host \[::ffff:7f00:1\]: --deny-private$/],
]

describe('denyPrivate: true refuses loopback targets before connecting', () => {
  it.each(LOOPBACK_TARGETS)('refuses %s with BLOCKED_ADDRESS naming the address and its class', async (_name, url, bindTo, message) => {
    const port = new URL(await serve(PAGE, bindTo)).port
    const connections = countConnections()

    const error = await expectPageError(fetcher({ denyPrivate: true }).fetch(url(port)))

    expect(error.code).toBe(ERROR_CODES.BLOCKED_ADDRESS)
    expect(error.message).toMatch(message)
    expect(connections.count).toBe(0)
  })

  it.each(LOOPBACK_TARGETS)('fetches %s when denyPrivate is off', async (_name, url, bindTo) => {
    const port = new URL(await serve(PAGE, bindTo)).port

    const page = await fetcher({ denyPrivate: false }).fetch(url(port))

    expect(Buffer.from(page.body).toString()).toContain('reached')
  })

  it('refuses the same origin again on a later fetch: nothing is cached for it', async () => {
    const base = await serve(PAGE)
    const f = fetcher({ denyPrivate: true })

    for (let i = 0; i < 2; i++) {
      const error = await expectPageError(f.fetch(`${base}/${i}`))
      expect(error.code).toBe(ERROR_CODES.BLOCKED_ADDRESS)
    }
  })
})

describe('the address policy runs again on every redirect hop', () => {
  it('refuses a redirect to an IP literal the policy denies, without connecting to it', async () => {
    const denied = await serve(PAGE, '127.0.0.2')
    const connections = countConnections()
    const start = await serve(redirectTo(`${denied}/secret`), '127.0.0.1')

    const error = await expectPageError(fetcher({ denyPrivate: denyOnly('127.0.0.2') }).fetch(`${start}/`))

    expect(error.code).toBe(ERROR_CODES.BLOCKED_ADDRESS)
    expect(error.message).toBe(`refused 127.0.0.2 (test-denied) for host 127.0.0.2: --deny-private (after 1 redirect, to ${denied}/secret)`)
    expect(connections.count).toBe(0)
  })

  it('follows the same redirect when the policy allows the target', async () => {
    const target = await serve(PAGE, '127.0.0.2')
    const start = await serve(redirectTo(`${target}/secret`), '127.0.0.1')

    const page = await fetcher({ denyPrivate: denyOnly('10.0.0.1') }).fetch(`${start}/`)

    expect(page.finalUrl).toBe(`${target}/secret`)
  })

  it('refuses a redirect to a name whose addresses the policy denies, after DNS', async () => {
    // The first hop's literal (127.0.0.2) is allowed; localhost resolves to loopback addresses
    // that are all denied, so only the lookup can refuse it.
    const denied = await serve(PAGE, '127.0.0.1')
    const connections = countConnections()
    const port = new URL(denied).port
    const start = await serve(redirectTo(`http://localhost:${port}/`), '127.0.0.2')
    const allowOnly127002: AddressPolicy = (address) => (address === '127.0.0.2' ? null : 'test-denied')

    const error = await expectPageError(fetcher({ denyPrivate: allowOnly127002 }).fetch(`${start}/`))

    expect(error.code).toBe(ERROR_CODES.BLOCKED_ADDRESS)
    expect(error.message).toMatch(/^refused (127\.0\.0\.1|::1) \(test-denied\).* for host localhost: --deny-private \(after 1 redirect, to http:\/\/localhost:\d+\/\)$/)
    expect(connections.count).toBe(0)
  })

  it('keeps refusing a denied hop while a kept-alive socket to the allowed origin is reused', async () => {
    const denied = await serve(PAGE, '127.0.0.2')
    const deniedConnections = countConnections()
    const start = await serve((req, res) => {
      if (req.url === '/away') redirectTo(`${denied}/`)(req, res)
      else PAGE(req, res)
    }, '127.0.0.1')
    const startConnections = countConnections()
    const f = fetcher({ denyPrivate: denyOnly('127.0.0.2'), connections: 1 })

    await f.fetch(`${start}/first`)
    const error = await expectPageError(f.fetch(`${start}/away`))
    await f.fetch(`${start}/again`)

    expect(error.code).toBe(ERROR_CODES.BLOCKED_ADDRESS)
    expect(startConnections.count).toBe(1)
    expect(deniedConnections.count).toBe(0)
  })
})

describe('guardedLookup', () => {
  function lookup(policy: AddressPolicy, all: boolean): Promise<{ error: Error | null; address: string | LookupAddress[] }> {
    return new Promise((resolve) => guardedLookup(policy)('localhost', { all }, (error, address) => resolve({ error, address })))
  }

  it('answers both the single-address and the all-addresses form Node uses', async () => {
    const single = await lookup(() => null, false)
    const all = await lookup(() => null, true)

    expect(single).toEqual({ error: null, address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })
    expect(all.error).toBeNull()
    expect(all.address).toContainEqual({ address: '127.0.0.1', family: 4 })
  })

  it('hands on only allowed addresses and fails when none is left', async () => {
    const allowedV4 = await lookup((address) => (address === '127.0.0.1' ? null : 'test-denied'), true)
    const none = await lookup(() => 'test-denied', true)

    expect(allowedV4.address).toEqual([{ address: '127.0.0.1', family: 4 }])
    expect(none.error).toMatchObject({ code: ERROR_CODES.BLOCKED_ADDRESS })
  })
})

describe('nonPublicAddressClass (the --deny-private policy)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00::2', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['64:ff9b::7f00:1', 'NAT64 loopback'],
    ['64:ff9b:1::a00:1', 'NAT64 local-use'],
    ['::7f00:1', 'not global unicast'],
    ['2002:7f00:1::1', '6to4 tunnel'],
    ['2001::1', 'Teredo tunnel'],
    ['localhost', 'not an IP address'],
  ])('refuses %s as %s', (address, addressClass) => {
    expect(nonPublicAddressClass(address)).toBe(addressClass)
  })

  it.each(['8.8.8.8', '93.184.215.14', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows the public address %s', (address) => {
    expect(nonPublicAddressClass(address)).toBeNull()
  })
})
