import { randomUUID } from 'node:crypto'
import {
  type OutgoingMessage,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
  type TopicDriver,
} from '@anyqueue/queue-core/driver'
import type { Cluster, Redis } from 'ioredis'
import { DRIVER_NAME } from './constants.js'
import { subscriptionBase, topicKeys } from './redis-keys.js'
import { encodePayload } from './redis-messages.js'
import type { Reply, ScriptName } from './redis-scripts.js'

/** What the topics share with their driver. */
export interface RedisTopicsHost {
  readonly client: Redis | Cluster
  readonly prefix: string
  /** Runs one of the driver's scripts, errors classified. */
  run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<Reply>
}

/**
 * The Redis driver's `topics`: a topic is an existence key and a hash of its subscriptions' filters;
 * each subscription a queue of the driver under the topic's hash tag, filled by one publish script.
 */
export class RedisTopics implements TopicDriver {
  readonly #host: RedisTopicsHost

  constructor(host: RedisTopicsHost) {
    this.#host = host
  }

  async createTopic(topic: string): Promise<void> {
    const keys = topicKeys(this.#host.prefix, topic)
    await this.#host.client.set(keys.meta, '1')
  }

  async deleteTopic(topic: string): Promise<void> {
    const keys = topicKeys(this.#host.prefix, topic)
    await this.#host.run('anyqueueDeleteTopic', [keys.meta, keys.subscriptions], [this.#base(topic)])
  }

  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const keys = topicKeys(this.#host.prefix, topic)
    const args = [this.#base(topic), subscription, filter ? JSON.stringify(filter) : '']
    const reply = await this.#host.run('anyqueueCreateSubscription', [keys.meta, keys.subscriptions], args)
    if (reply === -1) throw notFound(topic)
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const keys = topicKeys(this.#host.prefix, topic)
    await this.#host.run(
      'anyqueueDeleteSubscription',
      [keys.meta, keys.subscriptions],
      [this.#base(topic), subscription],
    )
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const keys = topicKeys(this.#host.prefix, topic)
    const ids = messages.map(() => randomUUID())
    const args: string[] = [this.#base(topic)]
    for (const [i, m] of messages.entries())
      args.push(JSON.stringify(m.attributes), encodePayload(ids[i]!, m))
    const reply = (await this.#host.run('anyqueuePublish', [keys.meta, keys.subscriptions], args)) as number[]
    if (reply[0] === -1) throw notFound(topic)
    return ids.map((id) => ({ id }))
  }

  #base(topic: string): string {
    return subscriptionBase(this.#host.prefix, topic)
  }
}

function notFound(topic: string): QueueError {
  return new QueueError(
    'QUEUE_NOT_FOUND',
    `topic "${topic}" does not exist: create it with createTopic("${topic}")`,
    { driver: DRIVER_NAME },
  )
}
