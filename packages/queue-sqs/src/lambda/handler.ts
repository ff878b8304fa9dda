import {
  createTriggerPipeline,
  type Handler,
  LIMITS,
  type Message,
  type Queue,
  QueueError,
  type TriggerOptions,
  type TriggerOutcome,
} from '@anyqueue/queue-core'
import { DRIVER_NAME } from '../constants.js'
import {
  incomingFromRecord,
  type LambdaContextLike,
  queueNameOfArn,
  type SqsBatchResponse,
  type SqsEvent,
} from './event.js'

export interface SqsLambdaOptions<T> extends TriggerOptions<T> {
  /**
   * Who dead-letters. `'send'` (default, as `consume()`): an exhausted, undecodable, schema-invalid
   * or `deadLetter(reason)` record is sent to `deadLetterQueue` (default `<name>-dlq`) with its
   * reason in `dlq-reason`, then deleted. `'redrive-policy'`: nothing is sent; such a record comes
   * back as a batch item failure, visible again at once, and the queue's own `RedrivePolicy` moves
   * it after `maxReceiveCount` receives (the reason is only reported to `onError`). Set
   * `maxAttempts` to at least `maxReceiveCount` then.
   */
  deadLetter?: 'send' | 'redrive-policy'
  /**
   * Milliseconds kept back from the invocation's remaining time to settle the batch (change
   * visibilities, send dead letters) after the handlers' deadline. Default 2,000.
   */
  settleMarginMs?: number
}

/** A Lambda handler for an SQS event source mapping with `ReportBatchItemFailures`. */
export type SqsLambdaHandler = (event: SqsEvent, context?: LambdaContextLike) => Promise<SqsBatchResponse>

/**
 * The Lambda handler for an SQS event source mapping (with `FunctionResponseTypes:
 * ['ReportBatchItemFailures']`) that runs `handler` as `consume(queue, handler, options)` would:
 * each record decoded and schema-checked, `attempt` from `ApproximateReceiveCount`, its `signal`
 * aborted before the invocation's deadline. Only records not handled come back in
 * `batchItemFailures` — a poison record never fails its batch:
 *
 * - success: left out, so the mapping deletes it;
 * - `retry(delay)`, or a failure below `maxAttempts`: `ChangeMessageVisibility` to the delay (the
 *   backoff after a failure) and reported failed;
 * - dead-lettered: see `deadLetter`. A dead-letter send that fails reports the record failed, so
 *   it is never deleted unsent.
 *
 * `queue` is the SQS queue of the event source, on a client with the SQS driver: it makes the
 * `ChangeMessageVisibility` calls and the dead-letter sends. Create it outside the handler, once
 * per execution environment.
 */
export function createSqsLambdaHandler<T>(
  queue: Queue<T>,
  handler: Handler<T>,
  options: SqsLambdaOptions<T> = {},
): SqsLambdaHandler {
  const { deadLetter = 'send', settleMarginMs = 2_000, ...pipelineOptions } = options
  if (deadLetter !== 'send' && deadLetter !== 'redrive-policy') {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `deadLetter must be 'send' or 'redrive-policy', got ${String(deadLetter)}`,
      {
        field: 'deadLetter',
      },
    )
  }
  if (typeof settleMarginMs !== 'number' || !(settleMarginMs >= 0)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `settleMarginMs must be a number ≥ 0, got ${String(settleMarginMs)}`,
      {
        field: 'settleMarginMs',
      },
    )
  }
  const pipeline = createTriggerPipeline(queue, handler, pipelineOptions)
  const driver = queue.client.driver
  if (driver.name !== DRIVER_NAME) {
    throw new QueueError('INVALID_ARGUMENT', `queue must be on the sqs driver, got "${driver.name}"`, {
      field: 'queue',
    })
  }
  const backendName =
    (driver as { backendName?: (name: string) => string }).backendName?.(queue.name) ?? queue.name
  const maxDelay = Math.min(queue.capabilities.nackDelay, LIMITS.maxNackDelaySeconds)

  /** Makes the record visible again after `seconds`; a failed call leaves its visibility timeout to do it. */
  const release = async (message: Message<T>, seconds: number): Promise<void> => {
    try {
      await queue.nack(message, { delaySeconds: Math.min(maxDelay, Math.max(0, Math.round(seconds))) })
    } catch (error) {
      pipeline.reportError(error, message)
    }
  }

  /** Settles one record; true when it must come back in `batchItemFailures`. */
  const settle = async (message: Message<T>, outcome: TriggerOutcome): Promise<boolean> => {
    switch (outcome.kind) {
      case 'ack':
        return false
      case 'retry':
      case 'fail':
        await release(message, outcome.delaySeconds)
        return true
      case 'dead-letter':
        if (deadLetter === 'redrive-policy') {
          pipeline.reportError(
            new Error(`message ${message.id} left to the queue's redrive policy: ${outcome.reason}`),
            message,
          )
          await release(message, 0)
          return true
        }
        try {
          await pipeline.deadLetter(message, outcome.reason)
          return false
        } catch (error) {
          pipeline.reportError(error, message)
          return true
        }
    }
  }

  return async (event, context) => {
    const records = event?.Records ?? []
    for (const record of records) {
      const from = queueNameOfArn(record.eventSourceARN ?? '')
      if (from !== backendName) {
        throw new QueueError(
          'INVALID_ARGUMENT',
          `the event comes from the SQS queue "${from}", but this handler serves "${backendName}"`,
          { field: 'event' },
        )
      }
    }
    const messages = records.map((record) => pipeline.decode(incomingFromRecord(record)))
    const remaining = context?.getRemainingTimeInMillis()
    const timeoutMs = remaining === undefined ? undefined : Math.max(1, remaining - settleMarginMs)
    const outcomes = await pipeline.run(messages, { timeoutMs })
    const failed = await Promise.all(messages.map((message, i) => settle(message, outcomes[i]!)))
    return {
      batchItemFailures: records.filter((_, i) => failed[i]).map((r) => ({ itemIdentifier: r.messageId })),
    }
  }
}
