import { randomUUID } from 'node:crypto'
import {
  matchesFilter,
  type OutgoingMessage,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
  subscriptionAddress,
} from '@anyqueue/queue-core/driver'
import type { Clock } from './clock.js'
import { DRIVER_NAME } from './constants.js'
import { MemoryQueue, storedMessage } from './memory-queue.js'

/** What the topics share with their driver: its queues (a subscription is one), clock and sequence. */
export interface MemoryTopicsHost {
  /** The driver's queues by address; a subscription's messages live at `topic/subscription`. */
  readonly queues: Map<string, MemoryQueue>
  readonly clock: Clock
  /** The next message sequence number of the driver (one counter, so a handle never repeats). */
  nextSeq(): number
  deleteQueue(address: string): Promise<void>
}

/** The in-memory driver's `topics`: each subscription a queue of the driver, filled on publish. */
export class MemoryTopics {
  readonly #host: MemoryTopicsHost
  /** Topic → its subscriptions' filters. */
  readonly #topics = new Map<string, Map<string, SubscriptionFilter | undefined>>()

  constructor(host: MemoryTopicsHost) {
    this.#host = host
  }

  async createTopic(topic: string): Promise<void> {
    if (!this.#topics.has(topic)) this.#topics.set(topic, new Map())
  }

  async deleteTopic(topic: string): Promise<void> {
    const subscriptions = this.#topics.get(topic)
    this.#topics.delete(topic)
    for (const name of subscriptions?.keys() ?? [])
      await this.#host.deleteQueue(subscriptionAddress(topic, name))
  }

  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const subscriptions = this.#topic(topic)
    if (subscriptions.has(subscription)) return
    subscriptions.set(subscription, filter)
    this.#host.queues.set(subscriptionAddress(topic, subscription), new MemoryQueue(this.#host.clock))
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    this.#topics.get(topic)?.delete(subscription)
    await this.#host.deleteQueue(subscriptionAddress(topic, subscription))
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const subscriptions = [...this.#topic(topic)]
    const now = this.#host.clock.now()
    const touched = new Set<MemoryQueue>()
    const results = messages.map((m) => {
      const id = randomUUID()
      for (const [name, filter] of subscriptions) {
        if (!matchesFilter(filter, m.attributes)) continue
        const target = this.#host.queues.get(subscriptionAddress(topic, name))!
        target.messages.set(this.#host.nextSeq(), storedMessage(id, m, now, now))
        touched.add(target)
      }
      return { id }
    })
    for (const target of touched) target.notify()
    return results
  }

  /** Forgets every topic (the driver closes). */
  clear(): void {
    this.#topics.clear()
  }

  #topic(topic: string): Map<string, SubscriptionFilter | undefined> {
    const found = this.#topics.get(topic)
    if (!found) {
      throw new QueueError(
        'QUEUE_NOT_FOUND',
        `topic "${topic}" does not exist: create it with createTopic("${topic}")`,
        { driver: DRIVER_NAME },
      )
    }
    return found
  }
}
