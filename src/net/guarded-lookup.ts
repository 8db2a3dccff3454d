import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'

import { blockedAddressError, type AddressPolicy } from './address-policy.js'

/**
 * A `lookup` for `net.connect` (passed through undici's `connect` option) that resolves the
 * name and hands on only the addresses `policy` allows. The socket connects to an address
 * this function returned, so there is no gap between the check and the connection in which
 * DNS could answer differently (DNS rebinding). A host whose every address is refused fails
 * with BLOCKED_ADDRESS; one with both kinds connects only to the allowed ones.
 *
 * Node calls it with `all: true` when it races address families (autoSelectFamily, the
 * default since Node 20) and without when it does not, so both shapes are answered.
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error !== null) {
        callback(error, options.all === true ? [] : '')
        return
      }
      const allowed: LookupAddress[] = []
      const refused: Array<{ address: string; addressClass: string }> = []
      for (const entry of addresses) {
        const addressClass = policy(entry.address)
        if (addressClass === null) allowed.push(entry)
        else refused.push({ address: entry.address, addressClass })
      }
      const [first] = allowed
      if (first === undefined) {
        callback(blockedAddressError(hostname, refused), options.all === true ? [] : '')
      } else if (options.all === true) {
        callback(null, allowed)
      } else {
        callback(null, first.address, first.family)
      }
    })
  }
}
