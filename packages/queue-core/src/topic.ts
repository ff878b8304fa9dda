import { describeArgument, readOptions } from './arguments.js'
import type { OutgoingMessage, QueueDriver } from './driver.js'
import { QueueError } from './errors.js'
import { checkFilter, type SubscriptionFilter } from './filter.js'
import { LIMITS, QUEUE_NAME_PATTERN } from './limits.js'
import { encodePayload, type Payload } from './payload.js'
import { type BatchResult, checkAttributes, type QueueClient } from './queue.js'
import { backoffDelay, sleep } from './retry.js'
import type { TopicCapabilities, TopicDriver } from './topic-driver.js'
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
  readonly #client: QueueClient

  /** @internal use `client.topic(name)` */
  constructor(client: QueueClient, name: string) {
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
    const driver = topicDriver(this.#client, 'publishBatch')
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > LIMITS.maxBatch) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `publishBatch takes 1 to ${LIMITS.maxBatch} messages, got ${Array.isArray(entries) ? entries.length : describeArgument(entries)}`,
        { field: 'messages', limit: LIMITS.maxBatch },
      )
    }
    const single = entries.length === 1
    const encoded: OutgoingMessage[] = Array.from(entries, (item, i) => {
      const field = single ? '' : `messages[${i}].`
      const entry = readOptions(
        item,
        single ? 'message' : `messages[${i}]`,
        ['payload', 'attributes', 'delaySeconds'],
        true,
        'ignore',
      )
      refuseDelay(entry.delaySeconds, `${field}delaySeconds`)
      const { body, contentType, bytes } = encodePayload(entry.payload, `${field}payload`)
      const attributes = checkAttributes(
        entry.attributes as Record<string, string> | undefined,
        `${field}attributes`,
      )
      return { body, contentType, bytes, delaySeconds: 0, attributes }
    })
    return traceSend(driver.name, this.name, encoded.length, (carrier) => {
      for (const message of encoded) {
        const extra = Object.entries(carrier).filter(([name]) => !(name in message.attributes))
        if (Object.keys(message.attributes).length + extra.length <= LIMITS.maxAttributes) {
          message.attributes = { ...message.attributes, ...Object.fromEntries(extra) }
        }
      }
      return this.#publishWithRetry(driver, encoded)
    })
  }

  async #publishWithRetry(
    driver: QueueDriver & TopicDriver,
    messages: OutgoingMessage[],
  ): Promise<BatchResult[]> {
    const client = this.#client
    const results: BatchResult[] = new Array(messages.length)
    const { maxAttempts, initialDelayMs, maxDelayMs } = client.retryPolicy
    const size = driver.capabilities.maxBatch
    let pending = messages.map((_, i) => i)
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: number[] = []
      const chunks: number[][] = []
      for (let i = 0; i < pending.length; i += size) chunks.push(pending.slice(i, i + size))
      await Promise.all(
        chunks.map(async (chunk) => {
          const outcome = await client
            .execute(() =>
              driver.publishBatch(
                this.name,
                chunk.map((i) => messages[i]!),
              ),
            )
            .then(
              (r) => r,
              (error: unknown) => chunk.map(() => ({ error })),
            )
          chunk.forEach((index, j) => {
            const result = outcome[j]
            if (result && 'id' in result) {
              results[index] = { ok: true, id: result.id }
              return
            }
            const error = client.classify(result?.error ?? new Error('driver returned no result'))
            if (error === undefined) throw result?.error
            if (error.retryable && attempt < maxAttempts) retry.push(index)
            else results[index] = { ok: false, error }
          })
        }),
      )
      pending = retry
      if (pending.length > 0) await sleep(backoffDelay(attempt - 1, initialDelayMs, maxDelayMs))
    }
    return results
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
export function topicDriver(client: QueueClient, operation: string): QueueDriver & TopicDriver {
  if (client.closed) throw new QueueError('CLOSED', `${operation}() was called after the client was closed`)
  const driver = client.driver
  if (!driver.capabilities.topics) {
    throw new QueueError('NOT_SUPPORTED', `topics are not supported by the ${driver.name} driver`, {
      driver: driver.name,
    })
  }
  return driver as QueueDriver & TopicDriver
}

/** `createSubscription`'s work, validated before any I/O. */
export function createSubscription(
  client: QueueClient,
  topic: string,
  name: string,
  options: SubscriptionOptions = {},
): Promise<void> {
  assertTopicName(topic, 'topic')
  assertTopicName(name, 'subscription')
  const driver = topicDriver(client, 'createSubscription')
  const { filter } = readOptions(options, 'options', ['filter'])
  const { filters } = driver.capabilities.topics as TopicCapabilities
  const checked = checkFilter(filter, filters, driver.name, 'filter')
  return client.execute(() => driver.createSubscription(topic, name, checked))
}
