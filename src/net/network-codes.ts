/**
 * The system and undici error codes that mean the connection failed or dropped, not that
 * the request or our code is wrong: worth another try for a model call, and "cannot reach
 * AWS" for a batch command. One list for every caller (the Bedrock and OpenAI classifiers,
 * the batch commands), so a code retried for one provider is retried for all.
 *
 * ENOTFOUND and ECONNREFUSED are here too: the classifiers first read them as a wrong
 * endpoint while no call has worked. UND_ERR_CLOSED is not: it means a fetch on a client we
 * closed ourselves (src/fetch/errors.ts counts it a programming error).
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
])

export function isNetworkErrorCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_ERROR_CODES.has(code)
}
