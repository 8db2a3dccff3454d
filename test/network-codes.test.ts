import { describe, expect, it } from 'vitest'
import { awsFailure } from '../src/batch/aws-failure.js'
import { NETWORK_ERROR_CODES } from '../src/net/network-codes.js'
import { classifyBedrockError } from '../src/summarizers/bedrock-errors.js'
import { classifyOpenAIError } from '../src/summarizers/openai-errors.js'

/** An error as Node's sockets raise it: a plain Error with errno's code. */
const socketError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code })

describe('one list of network error codes, read alike by Bedrock, OpenAI and the batch commands', () => {
  it.each([...NETWORK_ERROR_CODES])('%s is retried for both providers and is "cannot reach AWS" for batch', (code) => {
    const bedrock = classifyBedrockError(socketError(code))
    expect(bedrock.retryable).toBe(true)
    expect(bedrock.message).toContain(`(${code})`)
    // fetch's TypeError, whose cause carries the code (a class the classifier does not know, so only the code decides).
    const openai = classifyOpenAIError(Object.assign(new TypeError('fetch failed'), { cause: socketError(code) }))
    expect(openai.retryable).toBe(true)
    expect(openai.message).toContain(`(${code})`)
    expect(awsFailure(socketError(code), 'status')?.message).toContain('cannot reach AWS')
  })

  it('a code outside the list is no network failure for batch (it stays a bug with its stack)', () => {
    expect(awsFailure(socketError('ERR_INVALID_ARG_TYPE'), 'status')).toBeUndefined()
  })
})
