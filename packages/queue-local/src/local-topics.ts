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
  /** Runs a call on the database, as the driver does (errors classified, a full disk recovered). */
  run<T>(call: (db: Level<string, string>) => Promise<T>): Promise<T>
  readonly sync: boolean
  open(): Promise<void>
  createQueue(queue: string): Promise<void>
  deleteQueue(queue: string): Promise<void>
  /** Writes messages into several queues in one durable batch; resolves with their ids per queue. */
  sendMany(
    targets: ReadonlyArray<{ queue: string; messages: readonly OutgoingMessage[]; ids?: readonly string[] }>,
  ): Promise<string[][]>
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
    await this.#host.run((db) => db.put(topicKey(topic), '{}', { sync: this.#host.sync }))
    topics.set(topic, new Map())
  }

  /** The topic's marker goes first, synced: a crash midway never brings the topic back. */
  async deleteTopic(topic: string): Promise<void> {
    const topics = await this.#load()
    topics.delete(topic)
    await this.#host.run((db) => db.del(topicKey(topic), { sync: true }))
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
    await this.#host.run((db) =>
      db.put(subscriptionKey(topic, subscription), JSON.stringify(filter ?? null), { sync: this.#host.sync }),
    )
    subscriptions.set(subscription, filter)
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const topics = await this.#load()
    topics.get(topic)?.delete(subscription)
    await this.#host.run((db) => db.del(subscriptionKey(topic, subscription), { sync: true }))
    await this.#host.deleteQueue(subscriptionAddress(topic, subscription))
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const subscriptions = [...this.#subscriptions(await this.#load(), topic)]
    const ids = messages.map(() => randomUUID())
    // Each copy keeps the published message's id; all copies go in one batch, in every match or none.
    const targets = subscriptions.flatMap(([name, filter]) => {
      const picked = messages.flatMap((m, i) => (matchesFilter(filter, m.attributes) ? [i] : []))
      return picked.length === 0
        ? []
        : [
            {
              queue: subscriptionAddress(topic, name),
              messages: picked.map((i) => messages[i]!),
              ids: picked.map((i) => ids[i]!),
            },
          ]
    })
    await this.#host.sendMany(targets)
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
    const names = await this.#host.run(async (db) => {
      const found: string[] = []
      for await (const k of db.keys({ gt: prefix, lt: `${prefix}~` })) found.push(k.slice(prefix.length))
      return found
    })
    for (const name of names) {
      await this.#host.run((db) => db.del(subscriptionKey(topic, name), { sync: true }))
      await this.#host.deleteQueue(subscriptionAddress(topic, name))
    }
  }

  /** Reads the topics and their subscriptions once; a subscription without its topic is a leftover. */
  #load(): Promise<Map<string, Map<string, SubscriptionFilter | undefined>>> {
    this.#topics ??= (async () => {
      await this.#host.open()
      return this.#host.run(async (db) => {
        const topics = new Map<string, Map<string, SubscriptionFilter | undefined>>()
        for await (const k of db.keys({ gt: 'T!', lt: 'T!~' })) topics.set(k.slice(2), new Map())
        for await (const [k, v] of db.iterator({ gt: 'U!', lt: 'U!~' })) {
          const [topic, subscription] = k.slice(2).split('!') as [string, string]
          topics.get(topic)?.set(subscription, (JSON.parse(v) as SubscriptionFilter | null) ?? undefined)
        }
        return topics
      })
    })()
    this.#topics.catch(() => {
      this.#topics = undefined
    })
    return this.#topics
  }
}
