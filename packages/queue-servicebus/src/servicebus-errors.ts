import {
  classifyByTable,
  type ErrorRow,
  type ErrorTable,
  errorFromRow,
  isConnectionError,
  type QueueError,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/** The SDK's error codes (`error.code`) this driver knows; the HTTP status speaks for the others. */
const ERRORS: ErrorTable = {
  MessagingEntityNotFound: ['QUEUE_NOT_FOUND', false],
  MessageEntityNotFoundError: ['QUEUE_NOT_FOUND', false],
  UnauthorizedAccess: ['PERMISSION_DENIED', false],
  UnauthorizedRequestError: ['PERMISSION_DENIED', false],
  MessagingEntityDisabled: ['UNAVAILABLE', false],
  MessageSizeExceeded: ['MESSAGE_TOO_LARGE', false],
  ServiceBusy: ['UNAVAILABLE', true],
  ServerBusyError: ['UNAVAILABLE', true],
  ServiceTimeout: ['UNAVAILABLE', true],
  ServiceCommunicationProblem: ['UNAVAILABLE', true],
  QuotaExceeded: ['UNAVAILABLE', true],
  GeneralError: ['UNAVAILABLE', true],
  OperationTimeoutError: ['UNAVAILABLE', true],
  ConnectionForcedError: ['UNAVAILABLE', true],
  ConnectionClosedError: ['UNAVAILABLE', true],
  ServiceUnavailableError: ['UNAVAILABLE', true],
  InternalServerError: ['UNAVAILABLE', true],
}

interface SdkLikeError {
  name?: string
  code?: string
  message?: string
  retryable?: boolean
  statusCode?: number
}

/** Maps an SDK (or socket, or administration REST) error to a portable one; undefined for bugs. */
export function classifyServiceBusError(error: unknown): QueueError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as SdkLikeError
  const describe = { message: `${e.code ?? e.name}: ${e.message ?? 'no message'}`, driver: DRIVER_NAME }
  const row = (row: ErrorRow) => errorFromRow(row, error, describe)
  const named = classifyByTable(ERRORS, e.code, error, describe)
  if (named) return named
  if (isConnectionError(e)) return row(['UNAVAILABLE', true])
  const status = e.statusCode
  if (status === 404) return row(['QUEUE_NOT_FOUND', false])
  if (status === 401 || status === 403) return row(['PERMISSION_DENIED', false])
  if (status !== undefined && (status >= 500 || status === 429)) return row(['UNAVAILABLE', true])
  // What the SDK throws when a call is made on a connection it is still (re)opening.
  if (e.name === 'ServiceBusError' || e.name === 'MessagingError')
    return row(['UNAVAILABLE', e.retryable ?? true])
  return undefined
}

/** The lock is gone: the message was settled already, or its lease ran out and it will return. */
export function isLockGone(error: unknown): boolean {
  const e = error as SdkLikeError | null
  return (
    e?.code === 'MessageLockLost' ||
    e?.code === 'MessageNotFound' ||
    // The SDK's own check, before any I/O, for a delivery the broker already settled.
    (e?.message?.startsWith('The message has either been deleted or already settled') ?? false)
  )
}

/**
 * For `.catch()` on a create: one that finds the entity there already (HTTP 409) is done, as creates
 * are idempotent. The Pub/Sub driver's helper of the same name does the same for its backend.
 */
export function keepExisting(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 409) throw error
}
