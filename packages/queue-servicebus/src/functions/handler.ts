import {
  createTriggerPipeline,
  type Handler,
  type Queue,
  QueueError,
  type TriggerOptions,
} from '@anyqueue/queue-core'
import { DRIVER_NAME } from '../constants.js'
import { type FunctionsContextLike, incomingFromTrigger } from './trigger-message.js'

/** A handler for `app.serviceBusQueue` / `app.serviceBusTopic` (`@azure/functions` v4). */
export type ServiceBusFunctionHandler = (message: unknown, context: FunctionsContextLike) => Promise<void>

/** Thrown to the Functions host so that it abandons the message: it comes back for another attempt. */
export class RedeliverError extends Error {
  override name = 'RedeliverError'
}

/**
 * A Service Bus trigger handler for Azure Functions (v4 programming model) that runs `handler` as
 * `consume(queue, handler, options)` would: the message decoded and schema-checked, `attempt` from
 * `deliveryCount`, `signal` aborted at `handlerTimeoutSeconds` (keep it below the function's
 * timeout). The host settles the message by how the call ends:
 *
 * - returns: the host completes it — the handler succeeded, or the message was dead-lettered;
 * - throws: the host abandons it and it comes back at once — a failure below `maxAttempts`, or
 *   `retry()`. The host cannot delay an abandon: the backoff and `retry`'s `delaySeconds` are not
 *   honoured (the error's message says what they were);
 * - dead letters (undecodable, schema-invalid, `deadLetter(reason)`, `maxAttempts` reached) are
 *   sent by the driver to the queue `consume()` uses (`deadLetterQueue`, default `<name>-dlq`) with
 *   the reason, then completed by the host; if that send fails the call throws, so the host
 *   abandons the message instead of losing it.
 *
 * `queue` is the trigger's queue on a client with the Service Bus driver: it sends the dead letters.
 * Give the entity a `MaxDeliveryCount` above `maxAttempts` (queues the driver creates have 2,000)
 * so that `maxAttempts`, with its reason, decides.
 */
export function createServiceBusFunctionHandler<T>(
  queue: Queue<T>,
  handler: Handler<T>,
  options: TriggerOptions<T> = {},
): ServiceBusFunctionHandler {
  const pipeline = createTriggerPipeline(queue, handler, options)
  if (queue.client.driver.name !== DRIVER_NAME) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `queue must be on the servicebus driver, got "${queue.client.driver.name}"`,
      {
        field: 'queue',
      },
    )
  }
  return async (trigger, context) => {
    const message = pipeline.decode(incomingFromTrigger(trigger, context))
    const [outcome] = await pipeline.run([message])
    switch (outcome!.kind) {
      case 'ack':
        return
      case 'dead-letter':
        try {
          await pipeline.deadLetter(message, outcome!.reason)
        } catch (error) {
          throw new RedeliverError(`message ${message.id}: the dead-letter send failed; abandoning it`, {
            cause: error,
          })
        }
        return
      case 'retry':
        throw new RedeliverError(
          `message ${message.id}: retry asked (delaySeconds ${outcome!.delaySeconds}, not honoured: the host abandons at once)`,
        )
      case 'fail':
        throw new RedeliverError(
          `message ${message.id}: attempt ${message.attempt} of ${pipeline.maxAttempts} failed${outcome!.timedOut ? ' (ran past handlerTimeoutSeconds)' : ''}`,
          { cause: outcome!.error },
        )
    }
  }
}
