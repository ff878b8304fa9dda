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
import { TopicLock } from './topic-lock.js'
import type { Batch } from './write-queue.js'

/**
 * Topics in the same store. A subscription is a queue whose name is its address `topic/sub` (`/`
 * never occurs in a portable name), so receive, ack and the rest are the queue's own. Keys:
 *   T!<topic>          the topic exists
 *   U!<topic>!<sub>    a subscription of it: its filter as JSON, or `null`
 * A publish writes the message into every matching subscription, and their sequence counters, in
 * one synced batch: it is in all of them or in none, durable like a send. Publishes share a lock that
 * subscription and topic changes hold alone (`topic-lock.ts`), so a publish reaches exactly the
 * subscriptions that existed while it ran. A subscription's record and its queue's marker are
 * written, and deleted, in one batch (`deletions.ts`): a crash never leaves one without the other.
 */
const topicKey = (topic: string) => `T!${topic}`
const subscriptionKey = (topic: string, subscription: string) => `U!${topic}!${subscription}`

/** What the topics need of the local driver. */
export interface LocalTopicHost {
  /** Runs a call on the database, as the driver does (errors classified, a full disk recovered). */
  run<T>(call: (db: Level<string, string>) => Promise<T>): Promise<T>
  readonly sync: boolean
  open(): Promise<void>
  /** Creates a queue; `also` is written in the same batch as its marker. */
  createQueue(queue: string, also: Batch): Promise<void>
  /** Deletes queues, and `also`, in one synced batch; resolves once their messages are cleared. */
  deleteQueues(queues: readonly string[], also: Batch): Promise<void>
  /** Writes messages into several queues in one durable batch; resolves with their ids per queue. */
  sendMany(
    targets: ReadonlyArray<{ queue: string; messages: readonly OutgoingMessage[]; ids?: readonly string[] }>,
  ): Promise<string[][]>
}

export class LocalTopics {
  readonly #host: LocalTopicHost
  #topics: Promise<Map<string, Map<string, SubscriptionFilter | undefined>>> | undefined
  readonly #lock = new TopicLock()

  constructor(host: LocalTopicHost) {
    this.#host = host
  }

  createTopic(topic: string): Promise<void> {
    return this.#lock.exclusive(async () => {
      const topics = await this.#load()
      if (topics.has(topic)) return
      // Subscriptions left by a store written before final deletion must not come back with it.
      await this.#clearSubscriptions(topic, [])
      await this.#host.run((db) => db.put(topicKey(topic), '{}', { sync: this.#host.sync }))
      topics.set(topic, new Map())
    })
  }

  /** The topic's marker and its subscriptions go in one synced batch: a crash never brings any back. */
  deleteTopic(topic: string): Promise<void> {
    return this.#lock.exclusive(async () => {
      const topics = await this.#load()
      await this.#clearSubscriptions(topic, [{ type: 'del', key: topicKey(topic) }])
      topics.delete(topic)
    })
  }

  createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    return this.#lock.exclusive(async () => {
      const subscriptions = this.#subscriptions(await this.#load(), topic)
      if (subscriptions.has(subscription)) return
      const record = JSON.stringify(filter ?? null)
      await this.#host.createQueue(subscriptionAddress(topic, subscription), [
        { type: 'put', key: subscriptionKey(topic, subscription), value: record },
      ])
      subscriptions.set(subscription, filter)
    })
  }

  deleteSubscription(topic: string, subscription: string): Promise<void> {
    return this.#lock.exclusive(async () => {
      const topics = await this.#load()
      await this.#host.deleteQueues(
        [subscriptionAddress(topic, subscription)],
        [{ type: 'del', key: subscriptionKey(topic, subscription) }],
      )
      topics.get(topic)?.delete(subscription)
    })
  }

  publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    return this.#lock.shared(async () => {
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
    })
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

  /** Deletes every subscription of `topic` on disk, and `also`, in one synced batch. */
  async #clearSubscriptions(topic: string, also: Batch): Promise<void> {
    const prefix = `U!${topic}!`
    const names = await this.#host.run(async (db) => {
      const found: string[] = []
      for await (const k of db.keys({ gt: prefix, lt: `${prefix}~` })) found.push(k.slice(prefix.length))
      return found
    })
    await this.#host.deleteQueues(
      names.map((name) => subscriptionAddress(topic, name)),
      [...also, ...names.map((name): Batch[number] => ({ type: 'del', key: subscriptionKey(topic, name) }))],
    )
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
