import {
  classifyByTable,
  type ErrorRow,
  type ErrorTable,
  errorFromRow,
  isConnectionError,
  type QueueError,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

const NOT_FOUND: ErrorRow = ['QUEUE_NOT_FOUND', false]
const DENIED: ErrorRow = ['PERMISSION_DENIED', false]
const RETRY: ErrorRow = ['UNAVAILABLE', true]

/** The AWS error names (`error.name`) this driver knows; the HTTP status speaks for the others. */
const ERRORS: ErrorTable = {
  // SNS (topics) answers NotFound; SQS names its queue errors.
  QueueDoesNotExist: NOT_FOUND,
  'AWS.SimpleQueueService.NonExistentQueue': NOT_FOUND,
  NotFound: NOT_FOUND,
  NotFoundException: NOT_FOUND,
  AccessDenied: DENIED,
  AccessDeniedException: DENIED,
  InvalidClientTokenId: DENIED,
  UnrecognizedClientException: DENIED,
  SignatureDoesNotMatch: DENIED,
  InvalidSecurity: DENIED,
  ExpiredToken: DENIED,
  MissingAuthenticationToken: DENIED,
  AuthorizationError: DENIED,
  // Named throttles: SQS answers OverLimit with a 403, which is not a permission problem.
  ThrottlingException: RETRY,
  RequestThrottled: RETRY,
  KmsThrottled: RETRY,
  ServiceUnavailable: RETRY,
  InternalError: RETRY,
  InternalFailure: RETRY,
  OverLimit: RETRY,
  TimeoutError: RETRY,
  RequestTimeout: RETRY,
  RequestTimeoutException: RETRY,
  Throttled: RETRY,
  NetworkingError: RETRY,
}

interface AwsLikeError {
  name?: string
  code?: string
  message?: string
  $fault?: 'client' | 'server'
  $metadata?: { httpStatusCode?: number }
  $retryable?: unknown
}

/** Maps an AWS SDK (or socket) error to a portable one; undefined for anything that is a bug. */
export function classifySqsError(error: unknown): QueueError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as AwsLikeError
  const name = e.name ?? ''
  const status = e.$metadata?.httpStatusCode
  const describe = { message: `${name || e.code}: ${e.message ?? 'no message'}`, driver: DRIVER_NAME }
  const row = (row: ErrorRow) => errorFromRow(row, error, describe)
  const named = classifyByTable(ERRORS, name, error, describe)
  if (named) return named
  if (e.$retryable || (status !== undefined && status >= 500) || isConnectionError(e)) return row(RETRY)
  if (status === 403) return row(DENIED)
  if (e.$fault === 'client' && status !== undefined && status >= 400 && status < 500) {
    return row(['INVALID_ARGUMENT', false])
  }
  return undefined
}

/** What a batch reply (SQS `SendMessageBatch`, SNS `PublishBatch`) says of each entry, by its `Id`, into `results`. */
export function batchReplyResults(
  reply: {
    Successful?: { Id?: string; MessageId?: string }[]
    Failed?: { Id?: string; Code?: string; Message?: string; SenderFault?: boolean }[]
  },
  results: SendResult[],
): void {
  for (const ok of reply.Successful ?? []) results[Number(ok.Id)] = { id: ok.MessageId! }
  for (const failed of reply.Failed ?? []) {
    // The entry's error as the SDK would have thrown it, so the one classifier reads both.
    results[Number(failed.Id)] = {
      error: Object.assign(new Error(failed.Message ?? failed.Code), {
        name: failed.Code,
        $fault: failed.SenderFault ? 'client' : 'server',
        $metadata: { httpStatusCode: failed.SenderFault ? 400 : 500 },
      }),
    }
  }
}

/** Settling a message that is already gone, or no longer in flight, is a no-op by contract. */
export function isGoneError(code: string | undefined): boolean {
  return (
    code === 'ReceiptHandleIsInvalid' ||
    code === 'MessageNotInflight' ||
    code === 'AWS.SimpleQueueService.MessageNotInflight' ||
    code === 'InvalidParameterValue.ReceiptHandleIsInvalid'
  )
}
