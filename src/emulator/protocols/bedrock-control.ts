/**
 * The Bedrock control plane's model invocation (batch) job operations, as the AWS SDKs and
 * CLI send and read them: CreateModelInvocationJob, GetModelInvocationJob,
 * ListModelInvocationJobs and StopModelInvocationJob, with the request validation and error
 * shapes of botocore's `bedrock` service model. The jobs themselves run in batch-jobs.ts.
 */
import { S3_URI_PATTERN } from '../../batch/s3-uri.js'
import type { BatchJobs, Job, JobRequest, JobStatus } from '../batch-jobs.js'
import { modelAccess, normaliseModelId } from '../catalogue.js'
import { readBody, sendJson } from '../http.js'
import type { Exchange, Protocol } from '../http.js'
import type { Outcome } from '../stats.js'
import { BedrockError, sendBedrockError, stampRequestId } from './bedrock-errors.js'
import { isObject, parseJson } from './bedrock-requests.js'

// The service model's patterns (shapes ModelInvocationJobName, ModelInvocationIdempotencyToken,
// RoleArn, ModelInvocationJobIdentifier), matched whole as Smithy does.
const JOB_NAME = '[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}'
const TOKEN = '[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}'
const ROLE_ARN = 'arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+'
const JOB_IDENTIFIER = '((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})'
const STATUSES: readonly JobStatus[] = ['Submitted', 'InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped', 'PartiallyCompleted', 'Expired', 'Validating', 'Scheduled']
/** Accounts are not modelled; a role ARN without one gets this. */
const DEFAULT_ACCOUNT = '123456789012'
const DEFAULT_TIMEOUT_HOURS = 24

export function bedrockControl(jobs: BatchJobs, deniedModels: ReadonlySet<string>): Protocol {
  return {
    routes: [
      { method: 'POST', path: /^\/model-invocation-job$/, handle: (exchange) => answer(exchange, () => create(jobs, deniedModels, exchange)) },
      { method: 'GET', path: /^\/model-invocation-job\/([^/]+)$/, handle: (exchange) => answer(exchange, async () => describeJob(find(jobs, exchange))) },
      { method: 'POST', path: /^\/model-invocation-job\/([^/]+)\/stop$/, handle: (exchange) => answer(exchange, async () => (jobs.stop(find(jobs, exchange)), {})) },
      { method: 'GET', path: /^\/model-invocation-jobs$/, handle: (exchange) => answer(exchange, async () => list(jobs, exchange)) },
    ],
    begin: stampRequestId,
    notFound: ({ req, res }) => sendBedrockError(res, new BedrockError('UnknownOperationException', `No operation matches ${req.method ?? ''} ${req.url ?? ''}`)),
    internalError: (res, message) => sendBedrockError(res, new BedrockError('InternalServerException', message)),
  }
}

/** Signature first, as Bedrock checks it before anything else; then the operation, whose BedrockErrors become replies. */
async function answer(exchange: Exchange, operation: () => Promise<object | undefined>): Promise<Outcome> {
  const { req, res } = exchange
  try {
    if (!(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256')) {
      throw new BedrockError('AccessDeniedException', 'Missing Authentication Token: the request must be signed with AWS Signature Version 4.')
    }
    const reply = await operation()
    return reply === undefined ? 0 : sendJson(res, 200, reply)
  } catch (error) {
    if (error instanceof BedrockError) return sendBedrockError(res, error)
    throw error
  }
}

function violation(value: unknown, at: string, constraint: string): never {
  throw new BedrockError('ValidationException', `1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: ${constraint}`)
}

function checkPattern(value: unknown, at: string, pattern: string, maxLength: number): string {
  if (typeof value !== 'string') violation(value, at, 'Member must not be null')
  if (value.length > maxLength) violation(value, at, `Member must have length less than or equal to ${maxLength}`)
  if (!new RegExp(`^(?:${pattern})$`).test(value)) violation(value, at, `Member must satisfy regular expression pattern: ${pattern}`)
  return value
}

function s3UriAt(config: unknown, member: string, at: string): string {
  const inner = isObject(config) ? config[member] : undefined
  const uri = isObject(inner) ? inner['s3Uri'] : undefined
  if (typeof uri !== 'string') violation(uri, `${at}.${member}.s3Uri`, 'Member must not be null')
  if (!S3_URI_PATTERN.test(uri) || uri.length > 1024) violation(uri, `${at}.${member}.s3Uri`, `Member must satisfy regular expression pattern: ${S3_URI_PATTERN.source.slice(1, -1)}`)
  return uri
}

async function create(jobs: BatchJobs, deniedModels: ReadonlySet<string>, exchange: Exchange): Promise<object | undefined> {
  const body = await readBody(exchange.req)
  if (body.kind === 'gone') return undefined
  if (body.kind === 'too-large') throw new BedrockError('ValidationException', `The request body exceeds ${body.maxBytes} bytes.`)
  const json = parseJson(body.body)
  if (!isObject(json)) throw new BedrockError('ValidationException', 'The request body must be a JSON object.')
  const jobName = checkPattern(json['jobName'], 'jobName', JOB_NAME, 63)
  const roleArn = checkPattern(json['roleArn'], 'roleArn', ROLE_ARN, 2048)
  const token = json['clientRequestToken'] === undefined ? undefined : checkPattern(json['clientRequestToken'], 'clientRequestToken', TOKEN, 256)
  const rawModel = json['modelId']
  if (typeof rawModel !== 'string' || rawModel === '') violation(rawModel, 'modelId', 'Member must not be null')
  const modelId = normaliseModelId(rawModel)
  const access = modelAccess(modelId, deniedModels)
  if (access.kind === 'unknown') throw new BedrockError('ValidationException', 'The provided model identifier is invalid.')
  if (access.kind === 'denied') throw new BedrockError('AccessDeniedException', "You don't have access to the model with the specified model ID.")
  const inputUri = s3UriAt(json['inputDataConfig'], 's3InputDataConfig', 'inputDataConfig')
  const outputUri = s3UriAt(json['outputDataConfig'], 's3OutputDataConfig', 'outputDataConfig')
  const hours = json['timeoutDurationInHours'] ?? DEFAULT_TIMEOUT_HOURS
  if (!(typeof hours === 'number' && Number.isInteger(hours) && hours >= 24 && hours <= 168)) {
    violation(hours, 'timeoutDurationInHours', 'Member must have value between 24 and 168')
  }
  const type = json['modelInvocationType'] ?? 'InvokeModel'
  if (type !== 'InvokeModel' && type !== 'Converse') violation(type, 'modelInvocationType', 'Member must satisfy enum value set: [InvokeModel, Converse]')
  const request: JobRequest = {
    jobName,
    roleArn,
    clientRequestToken: token,
    modelId,
    family: access.family,
    inputUri,
    outputUri,
    timeoutDurationInHours: hours,
    modelInvocationType: type,
  }
  const account = /^arn:aws(?:-[^:]+)?:iam::([0-9]{12}):/.exec(roleArn)?.[1] ?? DEFAULT_ACCOUNT
  const { job } = jobs.create(request, signingRegion(exchange), account)
  return { jobArn: job.jobArn }
}

/** The region the caller signed for: the credential scope of its Authorization header. */
function signingRegion({ req }: Exchange): string {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'us-east-1'
}

function find(jobs: BatchJobs, exchange: Exchange): Job {
  const identifier = checkPattern(exchange.params[0], 'jobIdentifier', JOB_IDENTIFIER, 1011)
  const job = jobs.get(identifier)
  if (job === undefined) throw new BedrockError('ResourceNotFoundException', `The batch inference job ${identifier} was not found.`)
  return job
}

function describeJob(job: Job): Record<string, unknown> {
  return {
    jobArn: job.jobArn,
    jobName: job.jobName,
    modelId: job.modelId,
    ...(job.clientRequestToken === undefined ? {} : { clientRequestToken: job.clientRequestToken }),
    roleArn: job.roleArn,
    status: job.status,
    ...(job.message === undefined ? {} : { message: job.message }),
    submitTime: job.submitTime.toISOString(),
    lastModifiedTime: job.lastModifiedTime.toISOString(),
    ...(job.endTime === undefined ? {} : { endTime: job.endTime.toISOString() }),
    inputDataConfig: { s3InputDataConfig: { s3InputFormat: 'JSONL', s3Uri: job.inputUri } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: job.outputUri } },
    timeoutDurationInHours: job.timeoutDurationInHours,
    jobExpirationTime: job.jobExpirationTime.toISOString(),
    modelInvocationType: job.modelInvocationType,
    ...(job.totalRecordCount === undefined
      ? {}
      : {
          totalRecordCount: job.totalRecordCount,
          processedRecordCount: job.processedRecordCount,
          successRecordCount: job.successRecordCount,
          errorRecordCount: job.errorRecordCount,
        }),
  }
}

function list(jobs: BatchJobs, { req }: Exchange): object {
  const query = new URL(req.url ?? '/', 'http://emulator').searchParams
  const status = query.get('statusEquals')
  if (status !== null && !STATUSES.includes(status as JobStatus)) violation(status, 'statusEquals', `Member must satisfy enum value set: [${STATUSES.join(', ')}]`)
  const after = timeParam(query.get('submitTimeAfter'), 'submitTimeAfter')
  const before = timeParam(query.get('submitTimeBefore'), 'submitTimeBefore')
  const name = query.get('nameContains')
  const order = query.get('sortOrder') ?? 'Descending'
  if (order !== 'Ascending' && order !== 'Descending') violation(order, 'sortOrder', 'Member must satisfy enum value set: [Ascending, Descending]')
  const sortBy = query.get('sortBy') ?? 'CreationTime'
  if (sortBy !== 'CreationTime') violation(sortBy, 'sortBy', 'Member must satisfy enum value set: [CreationTime]')
  const max = Number(query.get('maxResults') ?? 1000)
  if (!(Number.isInteger(max) && max >= 1 && max <= 1000)) violation(query.get('maxResults'), 'maxResults', 'Member must have value between 1 and 1000')
  const offset = readToken(query.get('nextToken'))
  const matching = jobs
    .all()
    .filter((job) => (status === null || job.status === status) && (name === null || job.jobName.includes(name)))
    .filter((job) => (after === undefined || job.submitTime > after) && (before === undefined || job.submitTime < before))
  if (order === 'Descending') matching.reverse()
  const page = matching.slice(offset, offset + max)
  const next = offset + max < matching.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined
  return { invocationJobSummaries: page.map(describeJob), ...(next === undefined ? {} : { nextToken: next }) }
}

function timeParam(value: string | null, at: string): Date | undefined {
  if (value === null) return undefined
  // The SDKs send ISO 8601; the AWS CLI may send epoch seconds.
  const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value)
  if (Number.isNaN(date.getTime())) violation(value, at, 'Member must be a timestamp')
  return date
}

function readToken(token: string | null): number {
  if (token === null) return 0
  const offset = Number(Buffer.from(token, 'base64url').toString('utf8'))
  if (!Number.isInteger(offset) || offset < 0) throw new BedrockError('ValidationException', 'The pagination token is not valid.')
  return offset
}
