/**
 * The stable error codes of anyqueue. Codes are part of the public API and never change meaning
 * between versions; messages are for humans and may be reworded.
 */
export const ERROR_CODES = [
  'INVALID_QUEUE_NAME',
  'INVALID_PAYLOAD',
  'MESSAGE_TOO_LARGE',
  'INVALID_ARGUMENT',
  'INVALID_RECEIPT_HANDLE',
  'QUEUE_NOT_FOUND',
  'PERMISSION_DENIED',
  'UNAVAILABLE',
  'CLOSED',
  'NOT_SUPPORTED',
] as const

export type QueueErrorCode = (typeof ERROR_CODES)[number]

/** Codes whose operations may succeed if simply tried again. */
const RETRYABLE_BY_DEFAULT: ReadonlySet<QueueErrorCode> = new Set(['UNAVAILABLE'])

const BRAND = Symbol.for('@anyqueue/queue-core/QueueError')

export interface QueueErrorOptions {
  /** The backend's own error, kept reachable for debugging. */
  cause?: unknown
  /** Overrides the code's default (only `UNAVAILABLE` is retryable by default). */
  retryable?: boolean
  /** The argument or field at fault, e.g. `payload`, `messages[3].delaySeconds`. */
  field?: string
  /** The limit that was exceeded, when there is one. */
  limit?: number | string
  /** Which driver raised it (`local`, `sqs`, …). */
  driver?: string
}

/**
 * The one error class anyqueue throws. Check it with `QueueError.isInstance(err)` (or
 * `isQueueError`), which works even when two copies of this package are installed.
 * `QueueError<'QUEUE_NOT_FOUND'>` is one whose `code` is known; `isQueueError(e, code)` narrows to it.
 */
export class QueueError<Code extends QueueErrorCode = QueueErrorCode> extends Error {
  readonly code: Code
  readonly retryable: boolean
  readonly field: string | undefined
  readonly limit: number | string | undefined
  readonly driver: string | undefined
  readonly [BRAND] = true

  constructor(code: Code, message: string, options: QueueErrorOptions = {}) {
    const origin = options.driver ? `[anyqueue] [${options.driver}] ` : '[anyqueue] '
    super(origin + message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'QueueError'
    this.code = code
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code)
    this.field = options.field
    this.limit = options.limit
    this.driver = options.driver
  }

  static isInstance(value: unknown): value is QueueError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/**
 * True for a `QueueError` (from any installed copy of this package), and with `code` only for one
 * with that code — narrowed, so `e.code` is then that literal:
 *
 *   catch (e) { if (isQueueError(e, 'MESSAGE_TOO_LARGE')) console.warn(e.field, e.limit) }
 */
export function isQueueError(value: unknown): value is QueueError
export function isQueueError<Code extends QueueErrorCode>(
  value: unknown,
  code: Code,
): value is QueueError<Code>
export function isQueueError(value: unknown, code?: QueueErrorCode): value is QueueError {
  return QueueError.isInstance(value) && (code === undefined || value.code === code)
}
