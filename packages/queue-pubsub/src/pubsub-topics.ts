import {
  type OutgoingMessage,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'
import { isNotFound } from './pubsub-errors.js'
import { filterExpression } from './pubsub-filter.js'
import { toPubSub } from './pubsub-message.js'
import {
  type Clients,
  createDeadLettered,
  deleteDeadLettered,
  ignoreMissing,
  keepExisting,
  NO_RETRY,
} from './pubsub-resources.js'

/** What the topics need of the Pub/Sub driver. */
export interface PubSubTopicsHost {
  readonly prefix: string
  readonly leaseSeconds: number
  readonly maxDeliveryAttempts: number
  connect(): Promise<Clients>
  /** The subscription id of a portable name (`topic/subscription`). */
  backendName(queue: string): string
  /** Forgets what the driver checked about a queue or subscription that is being deleted. */
  forget(queue: string): void
}

/**
 * Topics and their subscriptions, native on Pub/Sub: a portable topic is the topic
 * `<prefix><topic>.topic`, a subscription `<prefix><topic>.sub.<subscription>` with the filter as
 * its filter expression and its own dead-letter topic, read through the driver exactly like a queue.
 */
export class PubSubTopics {
  readonly #host: PubSubTopicsHost

  constructor(host: PubSubTopicsHost) {
    this.#host = host
  }

  /** The Pub/Sub topic id of a portable topic: `<prefix><topic>.topic`. */
  backendName(topic: string): string {
    return `${this.#host.prefix}${topic}.topic`
  }

  async createTopic(topic: string): Promise<void> {
    const { project, publisher } = await this.#host.connect()
    await publisher
      .createTopic({ name: `projects/${project}/topics/${this.backendName(topic)}` }, NO_RETRY)
      .catch(keepExisting)
  }

  /**
   * Pub/Sub detaches a deleted topic's subscriptions rather than deleting them: the driver deletes
   * every subscription of the topic (and their dead-letter topics) first.
   */
  async deleteTopic(topic: string): Promise<void> {
    const clients = await this.#host.connect()
    const { project, publisher } = clients
    const name = `projects/${project}/topics/${this.backendName(topic)}`
    let subscriptions: string[]
    try {
      ;[subscriptions] = await publisher.listTopicSubscriptions({ topic: name }, NO_RETRY)
    } catch (error) {
      if (isNotFound(error)) return
      throw error
    }
    const ownPrefix = `projects/${project}/subscriptions/${this.#host.prefix}${topic}.sub.`
    for (const subscription of subscriptions) {
      if (!subscription.startsWith(ownPrefix)) continue
      this.#host.forget(`${topic}/${subscription.slice(ownPrefix.length)}`)
      await deleteDeadLettered(clients, subscription.slice(subscription.lastIndexOf('/') + 1))
    }
    await publisher.deleteTopic({ topic: name }, NO_RETRY).catch(ignoreMissing)
  }

  /**
   * A subscription with the filter as its filter expression, and its own dead-letter topic and
   * subscription (Pub/Sub counts delivery attempts only under a dead-letter policy).
   */
  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const expression = filterExpression(filter)
    const clients = await this.#host.connect()
    const topicName = `projects/${clients.project}/topics/${this.backendName(topic)}`
    try {
      await clients.publisher.getTopic({ topic: topicName }, NO_RETRY)
    } catch (error) {
      if (isNotFound(error)) {
        throw new QueueError(
          'QUEUE_NOT_FOUND',
          `topic "${topic}" does not exist: create it with createTopic()`,
          {
            driver: DRIVER_NAME,
            cause: error,
          },
        )
      }
      throw error
    }
    await createDeadLettered(clients, {
      id: this.#host.backendName(`${topic}/${subscription}`),
      topic: topicName,
      ackDeadlineSeconds: this.#host.leaseSeconds,
      maxDeliveryAttempts: this.#host.maxDeliveryAttempts,
      filter: expression,
    })
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    this.#host.forget(`${topic}/${subscription}`)
    await deleteDeadLettered(await this.#host.connect(), this.#host.backendName(`${topic}/${subscription}`))
  }

  /** Publishes to the topic: Pub/Sub fans it out to the subscriptions whose filter matches. */
  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const { project, publisher } = await this.#host.connect()
    const [reply] = await publisher.publish(
      { topic: `projects/${project}/topics/${this.backendName(topic)}`, messages: messages.map(toPubSub) },
      NO_RETRY,
    )
    return (reply.messageIds ?? []).map((id) => ({ id }))
  }
}
