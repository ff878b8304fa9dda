import { QueueError } from './errors.js'
import { parseSubscriptionAddress } from './subscription-address.js'

/**
 * The portable `QUEUE_NOT_FOUND`: names the queue (or the subscription and its topic) and the next
 * step. `detail` (e.g. ` in /var/lib/queues`, or the backend's own words in parentheses) follows the
 * name. Drivers that know the queue throw this; the portable layer rewrites any other
 * `QUEUE_NOT_FOUND` of a queue call with it (`nameMissingQueue`).
 */
export function queueNotFound(
  queue: string,
  options: { driver?: string; cause?: unknown; detail?: string; retryable?: boolean } = {},
): QueueError<'QUEUE_NOT_FOUND'> {
  const detail = options.detail ?? ''
  const address = parseSubscriptionAddress(queue)
  const message = address
    ? `subscription "${address.subscription}" of topic "${address.topic}" does not exist${detail}: ` +
      `create it with createSubscription("${address.topic}", "${address.subscription}")`
    : `queue "${queue}" does not exist${detail}: ` +
      `create it with createQueue("${queue}"), or open the driver with createIfMissing: true`
  return new QueueError('QUEUE_NOT_FOUND', message, {
    driver: options.driver,
    cause: options.cause,
    retryable: options.retryable,
  })
}

/**
 * A `QUEUE_NOT_FOUND` from a call on `queue` that does not name it (a backend's "The specified
 * queue does not exist."): the portable one instead, the backend's words kept in parentheses, its
 * error as `cause` and its `retryable` as it was. Any other error is returned as it is.
 */
export function nameMissingQueue(error: QueueError, queue: string): QueueError {
  if (error.code !== 'QUEUE_NOT_FOUND') return error
  const address = parseSubscriptionAddress(queue)
  const named = address ? `"${address.subscription}"` : `"${queue}"`
  if (error.message.includes(named) && error.message.includes('create it with')) return error
  const own = error.message.replace(/^\[anyqueue\] (\[[^\]]*\] )?/, '')
  // Only the wording changes: whether it is retryable stays the driver's call (the conformance
  // suite must still see a driver that gets it wrong).
  return queueNotFound(queue, {
    driver: error.driver,
    cause: error.cause ?? error,
    detail: ` (${own})`,
    retryable: error.retryable,
  })
}
