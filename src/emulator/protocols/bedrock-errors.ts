/**
 * Bedrock's error shape, for every Bedrock protocol module: status code, the
 * `x-amzn-ErrorType` header the SDK picks the exception class from, and a `{"message"}` body.
 */
import { randomUUID } from 'node:crypto'
import type http from 'node:http'
import { sendJson } from '../http.js'

const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazon.bedrock/'

export type BedrockErrorName =
  | 'ThrottlingException'
  | 'ServiceUnavailableException'
  | 'InternalServerException'
  | 'ValidationException'
  | 'AccessDeniedException'
  | 'UnknownOperationException'
  | 'ServiceQuotaExceededException'
  | 'ConflictException'
  | 'ResourceNotFoundException'

const ERROR_STATUS: Record<BedrockErrorName, number> = {
  ThrottlingException: 429,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ValidationException: 400,
  AccessDeniedException: 403,
  UnknownOperationException: 404,
  ServiceQuotaExceededException: 400,
  ConflictException: 400,
  ResourceNotFoundException: 404,
}

export const TOO_MANY_REQUESTS = 'Too many requests, please wait before trying again.'
export const TOO_MANY_TOKENS = 'Too many tokens, please wait before trying again.'

/** Thrown by a module's body parsing and caught at its handler, which sends it. */
export class BedrockError extends Error {
  constructor(
    readonly errorName: BedrockErrorName,
    message: string,
  ) {
    super(message)
  }
}

/** Every Bedrock reply, errors included, carries a request id. */
export function stampRequestId(res: http.ServerResponse): void {
  res.setHeader('x-amzn-RequestId', randomUUID())
}

/** Exactly as Bedrock sends errors; a reply already under way can only be cut (status 0: nothing counted). */
export function sendBedrockError(res: http.ServerResponse, error: BedrockError): number {
  if (res.headersSent) {
    res.destroy()
    return 0
  }
  res.setHeader('x-amzn-ErrorType', `${error.errorName}${ERROR_TYPE_SUFFIX}`)
  return sendJson(res, ERROR_STATUS[error.errorName], { message: error.message })
}
