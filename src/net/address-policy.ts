import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

import { ERROR_CODES, PageError } from '../errors.js'

/**
 * Decides whether a connection to one IP address (v4 or v6 text, as `dns.lookup` or a URL
 * gives it) may be made: the name of the address's class to refuse it ("loopback",
 * "private", …), or null to allow it. `--deny-private` uses `nonPublicAddressClass`; tests
 * inject their own to refuse a single loopback address.
 */
export type AddressPolicy = (address: string) => string | null

/**
 * IANA's global unicast block (RFC 4291 §2.4, RFC 3587): every routable IPv6 address is in
 * it. ipaddr.js calls everything it has no special range for 'unicast', which also covers
 * odd corners such as the deprecated IPv4-compatible `::7f00:1`, so a v6 address must be in
 * this block as well.
 */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3')

/**
 * The well-known NAT64 prefix (RFC 6052): on an IPv6-only network with DNS64, every IPv4-only
 * site resolves to `64:ff9b::a.b.c.d`, so refusing the whole prefix would refuse every such
 * site. The embedded IPv4 address is what the translator connects to, so that is what is
 * classified. The local-use prefix 64:ff9b:1::/48 puts the IPv4 address where the operator
 * chooses, so it stays refused.
 */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96')

/** ipaddr.js range names in words a user recognises; others are shown as ipaddr.js names them. */
const CLASS_LABELS: Readonly<Record<string, string>> = {
  linkLocal: 'link-local',
  carrierGradeNat: 'shared address space (CGNAT)',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
  rfc6052: 'NAT64 local-use',
  rfc6145: 'IPv4-translated',
  '6to4': '6to4 tunnel',
  teredo: 'Teredo tunnel',
}

/**
 * The `--deny-private` policy: only public unicast addresses pass. IPv4 must be in ipaddr.js's
 * 'unicast' range (not loopback, RFC 1918 private, link-local, CGNAT 100.64/10, unspecified,
 * broadcast, multicast, or reserved/documentation/benchmarking blocks). An IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`) is judged as the IPv4 address it reaches. Other IPv6 must be
 * 'unicast' and inside 2000::/3, which refuses loopback, unique-local fc00::/7, link-local
 * fe80::/10, multicast, documentation, and the 6to4 and Teredo tunnel ranges (both embed an
 * IPv4 address that could be private, both long deprecated).
 */
export function nonPublicAddressClass(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address'
  const parsed = ipaddr.parse(address)
  if (parsed.kind() === 'ipv4') return ipv4Class(parsed as ipaddr.IPv4)
  const v6 = parsed as ipaddr.IPv6
  if (v6.isIPv4MappedAddress()) return prefixed('IPv4-mapped', ipv4Class(v6.toIPv4Address()))
  if (v6.match(NAT64_WELL_KNOWN)) {
    return prefixed('NAT64', ipv4Class(ipaddr.fromByteArray(v6.toByteArray().slice(-4)) as ipaddr.IPv4))
  }
  const range = v6.range()
  if (range !== 'unicast') return label(range)
  return v6.match(IPV6_GLOBAL_UNICAST) ? null : 'not global unicast'
}

function ipv4Class(address: ipaddr.IPv4): string | null {
  const range = address.range()
  return range === 'unicast' ? null : label(range)
}

function label(range: string): string {
  return CLASS_LABELS[range] ?? range
}

function prefixed(prefix: string, addressClass: string | null): string | null {
  return addressClass === null ? null : `${prefix} ${addressClass}`
}

/** The BLOCKED_ADDRESS error for a host whose every address the policy refused. */
export function blockedAddressError(host: string, refused: ReadonlyArray<{ address: string; addressClass: string }>): PageError {
  const listed = refused.slice(0, MAX_LISTED_ADDRESSES).map(({ address, addressClass }) => `${address} (${addressClass})`)
  const more = refused.length > MAX_LISTED_ADDRESSES ? ` and ${refused.length - MAX_LISTED_ADDRESSES} more` : ''
  return new PageError(ERROR_CODES.BLOCKED_ADDRESS, `refused ${listed.join(', ')}${more} for host ${host}: --deny-private`)
}

/** A host with a dozen addresses would otherwise make a very long message. */
const MAX_LISTED_ADDRESSES = 3

/**
 * Checks a URL host that is an IP literal (`127.0.0.1`, `[::1]`). Node's `net.connect` skips
 * the lookup for literals, so `guardedLookup` never sees them: they are checked here, before
 * the request. Returns the error to throw, or undefined for an allowed literal or a name
 * (names are checked by the lookup, after DNS).
 */
export function refusedLiteral(hostname: string, policy: AddressPolicy): PageError | undefined {
  // URL#hostname keeps the brackets of an IPv6 literal; the WHATWG URL parser has already
  // normalised every IPv4 spelling (`2130706433`, `0x7f.1`) to dotted decimal.
  const address = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
  if (isIP(address) === 0) return undefined
  const addressClass = policy(address)
  return addressClass === null ? undefined : blockedAddressError(hostname, [{ address, addressClass }])
}
