import { randomUUID } from 'node:crypto'
import {
  matchesFilter,
  type OutgoingMessage,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
  subscriptionAddress,
} from '@anyqueue/queue-core/driver'
import type { Level } from 'level'
import { DRIVER_NAME } from './constants.js'
import type { QueueIndex } from './queue-index.js'

/**
 * Topics in the same store. A subscription is a queue whose name is its address `topic/sub` (`/`
 * never occurs in a portable name), so receive, ack and the rest are the queue's own. Keys:
 *   T!<topic>          the topic exists
 *   U!<topic>!<sub>    a subscription of it: its filter as JSON, or `null`
 * A publish writes the message into every matching subscription, and their sequence counters, in
 * one synced batch: it is in all of them or in none, durable like a send.
 */
const topicKey = (topic: string) => `T!${topic}`
const subscriptionKey = (topic: string, subscription: string) => `U!${topic}!${subscription}`

/** What the topics need of the local driver. */
export interface LocalTopicHost {
  readonly db: Level<string, string>
  readonly sync: boolean
  open(): Promise<void>
  /** A queue's index (its seq counter and what is visible), `QUEUE_NOT_FOUND` when missing. */
  index(queue: string): Promise<QueueIndex>
  createQueue(queue: string): Promise<void>
  deleteQueue(queue: string): Promise<void>
  messageKey(queue: string, seq: number): string
  nextKey(queue: string): string
  encode(message: OutgoingMessage, id: string, enqueuedAt: number): string
}

export class LocalTopics {
  readonly #host: LocalTopicHost
  #topics: Promise<Map<string, Map<string, SubscriptionFilter | undefined>>> | undefined

  constructor(host: LocalTopicHost) {
    this.#host = host
  }

  async createTopic(topic: string): Promise<void> {
    const topics = await this.#load()
    if (topics.has(topic)) return
    // Subscriptions left by a deletion cut short by a crash must not come back with the new topic.
    await this.#clearSubscriptions(topic)
    await this.#host.db.put(topicKey(topic), '{}', { sync: this.#host.sync })
    topics.set(topic, new Map())
  }

  /** The topic's marker goes first, synced: a crash midway never brings the topic back. */
  async deleteTopic(topic: string): Promise<void> {
    const topics = await this.#load()
    topics.delete(topic)
    await this.#host.db.del(topicKey(topic), { sync: true })
    await this.#clearSubscriptions(topic)
  }

  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const subscriptions = this.#subscriptions(await this.#load(), topic)
    if (subscriptions.has(subscription)) return
    // The queue first: a publish fans out to the subscription only once it is recorded, after.
    await this.#host.createQueue(subscriptionAddress(topic, subscription))
    await this.#host.db.put(subscriptionKey(topic, subscription), JSON.stringify(filter ?? null), {
      sync: this.#host.sync,
    })
    subscriptions.set(subscription, filter)
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const topics = await this.#load()
    topics.get(topic)?.delete(subscription)
    await this.#host.db.del(subscriptionKey(topic, subscription), { sync: true })
    await this.#host.deleteQueue(subscriptionAddress(topic, subscription))
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const subscriptions = [...this.#subscriptions(await this.#load(), topic)]
    const targets = await Promise.all(
      subscriptions.map(async ([name, filter]) => {
        const queue = subscriptionAddress(topic, name)
        return { queue, filter, index: await this.#host.index(queue) }
      }),
    )
    const now = Date.now()
    const ids = messages.map(() => randomUUID())
    const ops: Array<{ type: 'put'; key: string; value: string }> = []
    const added: Array<{ index: QueueIndex; seq: number }> = []
    for (const { queue, filter, index } of targets) {
      const before = added.length
      messages.forEach((m, i) => {
        if (!matchesFilter(filter, m.attributes)) return
        const seq = index.nextSeq++
        ops.push({
          type: 'put',
          key: this.#host.messageKey(queue, seq),
          value: this.#host.encode(m, ids[i]!, now),
        })
        added.push({ index, seq })
      })
      if (added.length > before) {
        ops.push({ type: 'put', key: this.#host.nextKey(queue), value: String(index.nextSeq) })
      }
    }
    // Visible only once durable, in every subscription at once.
    if (ops.length > 0) await this.#host.db.batch(ops, { sync: this.#host.sync })
    const after = Date.now()
    for (const { index, seq } of added) index.insert(seq, 0, 0, after)
    for (const { index } of targets) index.notify()
    return ids.map((id) => ({ id }))
  }

  #subscriptions(
    topics: Map<string, Map<string, SubscriptionFilter | undefined>>,
    topic: string,
  ): Map<string, SubscriptionFilter | undefined> {
    const found = topics.get(topic)
    if (found) return found
    throw new QueueError('QUEUE_NOT_FOUND', `topic "${topic}" does not exist: create it with createTopic()`, {
      driver: DRIVER_NAME,
    })
  }

  async #clearSubscriptions(topic: string): Promise<void> {
    const prefix = `U!${topic}!`
    const names: string[] = []
    for await (const k of this.#host.db.keys({ gt: prefix, lt: `${prefix}~` }))
      names.push(k.slice(prefix.length))
    for (const name of names) {
      await this.#host.db.del(subscriptionKey(topic, name), { sync: true })
      await this.#host.deleteQueue(subscriptionAddress(topic, name))
    }
  }

  /** Reads the topics and their subscriptions once; a subscription without its topic is a leftover. */
  #load(): Promise<Map<string, Map<string, SubscriptionFilter | undefined>>> {
    this.#topics ??= (async () => {
      await this.#host.open()
      const topics = new Map<string, Map<string, SubscriptionFilter | undefined>>()
      for await (const k of this.#host.db.keys({ gt: 'T!', lt: 'T!~' })) topics.set(k.slice(2), new Map())
      for await (const [k, v] of this.#host.db.iterator({ gt: 'U!', lt: 'U!~' })) {
        const [topic, subscription] = k.slice(2).split('!') as [string, string]
        topics.get(topic)?.set(subscription, (JSON.parse(v) as SubscriptionFilter | null) ?? undefined)
      }
      return topics
    })()
    this.#topics.catch(() => {
      this.#topics = undefined
    })
    return this.#topics
  }
}
