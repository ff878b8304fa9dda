import { classifyByTable, type ErrorTable, type QueueError } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/** gRPC status codes (google-gax reports them as `error.code`). */
const Status = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const

/** The gRPC statuses this driver maps; any other is a bug, rethrown as it is. */
const ERRORS: ErrorTable = {
  [Status.INVALID_ARGUMENT]: ['INVALID_ARGUMENT', false],
  [Status.NOT_FOUND]: ['QUEUE_NOT_FOUND', false],
  [Status.PERMISSION_DENIED]: ['PERMISSION_DENIED', false],
  [Status.UNAUTHENTICATED]: ['PERMISSION_DENIED', false],
  [Status.DEADLINE_EXCEEDED]: ['UNAVAILABLE', true],
  [Status.RESOURCE_EXHAUSTED]: ['UNAVAILABLE', true],
  [Status.ABORTED]: ['UNAVAILABLE', true],
  [Status.INTERNAL]: ['UNAVAILABLE', true],
  [Status.UNAVAILABLE]: ['UNAVAILABLE', true],
  [Status.UNKNOWN]: ['UNAVAILABLE', true],
  [Status.CANCELLED]: ['UNAVAILABLE', true],
}

function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'number' ? code : undefined
}

export const isNotFound = (error: unknown) => grpcCode(error) === Status.NOT_FOUND
export const isAlreadyExists = (error: unknown) => grpcCode(error) === Status.ALREADY_EXISTS
export const isDeadlineExceeded = (error: unknown) => grpcCode(error) === Status.DEADLINE_EXCEEDED
export const isInvalidArgument = (error: unknown) => grpcCode(error) === Status.INVALID_ARGUMENT

/** Maps a gRPC error from google-gax to a portable one; undefined for anything that is a bug. */
export function classifyPubSubError(error: unknown): QueueError | undefined {
  const code = grpcCode(error)
  const details =
    (error as { details?: string; message?: string } | null)?.details ?? (error as Error)?.message
  return classifyByTable(ERRORS, code, error, { message: `gRPC ${code}: ${details}`, driver: DRIVER_NAME })
}
export const isCancelled = (error: unknown) => grpcCode(error) === Status.CANCELLED
