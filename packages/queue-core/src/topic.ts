import { readOptions } from './arguments.js'
import type { ClientLink } from './client-link.js'
import type { TopicCapabilities, TopicDriver } from './contract.js'
import { QueueError } from './errors.js'
import { checkFilter, type SubscriptionFilter } from './filter.js'
import { QUEUE_NAME_PATTERN } from './limits.js'
import type { BatchResult } from './messages.js'
import { addTraceContext, encodeBatch, sendWithRetry } from './outgoing.js'
import type { Payload } from './payload.js'
import { traceSend } from './tracing.js'

export interface PublishOptions {
  /** Application attributes, as for `send`; subscription filters match on them. */
  attributes?: Record<string, string>
}

export interface PublishEntry<T = Payload> extends PublishOptions {
  payload: T
}

export interface SubscriptionOptions {
  /** Only messages whose attributes match are delivered to the subscription (see `SubscriptionFilter`). */
  filter?: SubscriptionFilter
}

/**
 * One named topic: a publish fans the message out to every subscription whose filter matches.
 * Payload rules, limits, typed errors and trace context are those of `Queue.send`.
 */
export class Topic<T = Payload> {
  readonly name: string
  readonly #client: ClientLink

  /** @internal use `client.topic(name)` */
  constructor(client: ClientLink, name: string) {
    this.#client = client
    this.name = name
  }

  /** Publishes one message; resolves with its id once the backend accepted it durably. */
  async publish(payload: T, options: PublishOptions = {}): Promise<{ id: string }> {
    const { attributes, delaySeconds } = readOptions(options, 'options', ['attributes', 'delaySeconds'])
    refuseDelay(delaySeconds, 'options.delaySeconds')
    const [result] = await this.publishBatch([{ payload, attributes } as PublishEntry<T>])
    if (!result!.ok) throw result!.error
    return { id: result!.id }
  }

  /**
   * Publishes up to 10 messages. Input is validated as a whole first (an invalid entry rejects the
   * call, nothing is published); then each message gets its own result.
   */
  async publishBatch(entries: readonly PublishEntry<T>[]): Promise<BatchResult[]> {
    const topics = topicDriver(this.#client, 'publishBatch')
    const { driver } = this.#client
    const encoded = encodeBatch(entries, 'publishBatch', (value, field) => {
      refuseDelay(value, field)
      return 0
    })
    return traceSend(driver.name, this.name, encoded.length, (carrier) => {
      addTraceContext(encoded, carrier)
      return sendWithRetry(this.#client, encoded, driver.capabilities.maxBatch, undefined, (chunk) =>
        topics.publishBatch(this.name, chunk),
      )
    })
  }
}

/** A publish cannot be delayed (SNS cannot): a delay is refused, never dropped silently. */
function refuseDelay(value: unknown, field: string): void {
  if (value === undefined) return
  throw new QueueError(
    'INVALID_ARGUMENT',
    `${field}: a publish cannot be delayed; send to a queue with delaySeconds instead`,
    { field },
  )
}

/** Topic and subscription names follow the queue rules (`QUEUE_NAME_PATTERN`). */
export function assertTopicName(name: unknown, field: 'topic' | 'subscription'): asserts name is string {
  if (typeof name !== 'string' || !QUEUE_NAME_PATTERN.test(name)) {
    throw new QueueError(
      'INVALID_QUEUE_NAME',
      `${field} name ${JSON.stringify(name)} must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"`,
      { field, limit: 64 },
    )
  }
}

/** The client's driver as a topic driver, or `CLOSED` / `NOT_SUPPORTED`. */
export function topicDriver(client: ClientLink, operation: string): TopicDriver {
  if (client.closed) throw new QueueError('CLOSED', `${operation}() was called after the client was closed`)
  const driver = client.driver
  if (!driver.capabilities.topics) {
    throw new QueueError('NOT_SUPPORTED', `topics are not supported by the ${driver.name} driver`, {
      driver: driver.name,
    })
  }
  // QueueClient checked at construction that a driver declaring topics has them.
  return driver.topics!
}

/** `createSubscription`'s work, validated before any I/O. */
export function createSubscription(
  client: ClientLink,
  topic: string,
  name: string,
  options: SubscriptionOptions = {},
): Promise<void> {
  assertTopicName(topic, 'topic')
  assertTopicName(name, 'subscription')
  const topics = topicDriver(client, 'createSubscription')
  const { filter } = readOptions(options, 'options', ['filter'])
  const { filters } = client.capabilities.topics as TopicCapabilities
  const checked = checkFilter(filter, filters, client.driver.name, 'filter')
  return client.execute(() => topics.createSubscription(topic, name, checked))
}
