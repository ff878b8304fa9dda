import { randomUUID } from 'node:crypto'
import {
  type OutgoingMessage,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
  subscriptionAddress,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'
import { batchColumns, escapeText } from './postgres-codec.js'
import type { PostgresContext } from './postgres-context.js'
import type { Queryable } from './postgres-schema.js'

/**
 * The driver's `topics`: a subscription is a row of the queues table with its topic and filter; a
 * publish inserts one row per matching subscription in one statement (all or none), the filter
 * evaluated in SQL by the schema's `filter_matches`.
 */
export class PostgresTopics {
  readonly #context: PostgresContext
  readonly #db: Queryable

  constructor(context: PostgresContext, db: Queryable) {
    this.#context = context
    this.#db = db
  }

  async createTopic(topic: string): Promise<void> {
    await this.#context.ready()
    await this.#db.query(this.#context.sql.createTopic, [topic])
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.#context.ready()
    await this.#db.query(this.#context.sql.deleteTopic, [topic, this.#context.channel])
  }

  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    await this.#context.ready()
    const { rows } = await this.#db.query(this.#context.sql.createSubscription, [
      topic,
      subscriptionAddress(topic, subscription),
      filter === undefined ? null : encodeFilter(filter),
    ])
    if (!rows[0].found) throw topicNotFound(topic)
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    await this.#context.ready()
    await this.#db.query(this.#context.sql.deleteSubscription, [
      subscriptionAddress(topic, subscription),
      this.#context.channel,
    ])
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    await this.#context.ready()
    return publishRows(this.#db, this.#context, topic, messages)
  }
}

/** Publishes one batch through `db` (the driver's pool, or a caller's transaction). */
export async function publishRows(
  db: Queryable,
  context: PostgresContext,
  topic: string,
  messages: readonly OutgoingMessage[],
): Promise<SendResult[]> {
  const ids = messages.map(() => randomUUID())
  const { rows } = await db.query(context.sql.publish, [
    topic,
    ...batchColumns(messages, ids),
    context.channel,
  ])
  if (!rows[0].found) throw topicNotFound(topic)
  return ids.map((id) => ({ id }))
}

/** A filter as stored: names and values escaped like the attributes they are compared with. */
function encodeFilter(filter: SubscriptionFilter): string {
  const stored: Record<string, unknown> = {}
  for (const [name, condition] of Object.entries(filter)) {
    stored[escapeText(name)] =
      'equals' in condition
        ? { equals: condition.equals.map(escapeText) }
        : 'notEquals' in condition
          ? { notEquals: condition.notEquals.map(escapeText) }
          : 'exists' in condition
            ? { exists: condition.exists }
            : { prefix: escapeText(condition.prefix) }
  }
  return JSON.stringify(stored)
}

function topicNotFound(topic: string): QueueError {
  return new QueueError(
    'QUEUE_NOT_FOUND',
    `topic "${topic}" does not exist: create it with createTopic("${topic}")`,
    {
      driver: DRIVER_NAME,
    },
  )
}
