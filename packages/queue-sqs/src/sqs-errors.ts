import {
  isConnectionError,
  QueueError,
  type QueueErrorCode,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

// SNS (topics) answers NotFound; SQS names its queue errors.
const NOT_FOUND = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'NotFound',
  'NotFoundException',
])
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSecurity',
  'ExpiredToken',
  'MissingAuthenticationToken',
  'AuthorizationError',
])
const RETRYABLE = new Set([
  'ThrottlingException',
  'RequestThrottled',
  'KmsThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'OverLimit',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'Throttled',
])

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
  const make = (code: QueueErrorCode, retryable?: boolean) =>
    new QueueError(code, `${name || e.code}: ${e.message ?? 'no message'}`, {
      cause: error,
      driver: DRIVER_NAME,
      ...(retryable === undefined ? {} : { retryable }),
    })
  if (NOT_FOUND.has(name)) return make('QUEUE_NOT_FOUND')
  // Named throttles first: SQS answers OverLimit with a 403, which is not a permission problem.
  if (RETRYABLE.has(name) || e.$retryable || (status !== undefined && status >= 500)) {
    return make('UNAVAILABLE', true)
  }
  if (DENIED.has(name) || status === 403) return make('PERMISSION_DENIED')
  if (isConnectionError(e) || name === 'NetworkingError' || name === 'TimeoutError') {
    return make('UNAVAILABLE', true)
  }
  if (e.$fault === 'client' && status !== undefined && status >= 400 && status < 500) {
    return make('INVALID_ARGUMENT')
  }
  return undefined
}

/** Settling a message that is already gone, or no longer in flight, is a no-op by contract. */
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

export function isGoneError(code: string | undefined): boolean {
  return (
    code === 'ReceiptHandleIsInvalid' ||
    code === 'MessageNotInflight' ||
    code === 'AWS.SimpleQueueService.MessageNotInflight' ||
    code === 'InvalidParameterValue.ReceiptHandleIsInvalid'
  )
}
