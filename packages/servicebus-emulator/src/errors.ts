/** A broker-side failure with the AMQP error condition the SDK maps to a `ServiceBusError.code`. */
export class BrokerError extends Error {
  constructor(
    readonly condition: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message)
  }

  /** The error as the broker reports it: itself, or anything else as an internal error. */
  static from(error: unknown): BrokerError {
    if (error instanceof BrokerError) return error
    return new BrokerError(CONDITIONS.internal, String((error as Error)?.message ?? error), 500)
  }
}

export const CONDITIONS = {
  notFound: 'amqp:not-found',
  lockLost: 'com.microsoft:message-lock-lost',
  messageNotFound: 'com.microsoft:message-not-found',
  sizeExceeded: 'amqp:link:message-size-exceeded',
  notImplemented: 'amqp:not-implemented',
  invalidField: 'amqp:invalid-field',
  internal: 'amqp:internal-error',
  deadLetter: 'com.microsoft:dead-letter',
  entityExists: 'com.microsoft:entity-already-exists',
  notAllowed: 'amqp:not-allowed',
  sessionCannotBeLocked: 'com.microsoft:session-cannot-be-locked',
  sessionLockLost: 'com.microsoft:session-lock-lost',
  timeout: 'com.microsoft:timeout',
} as const

export const lockLost = () =>
  new BrokerError(
    CONDITIONS.lockLost,
    'The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.',
    410,
  )

export function notFound(namespace: string, address: string): BrokerError {
  return new BrokerError(
    CONDITIONS.notFound,
    `The messaging entity '${namespace}:${address}' could not be found. To know more visit https://aka.ms/sbResourceMgrExceptions.`,
    404,
  )
}
