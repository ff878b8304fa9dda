import {
  type OutgoingMessage,
  parseSubscriptionAddress,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
} from '@anyqueue/queue-core/driver'
import type { ServiceBusClient, ServiceBusSender } from '@azure/service-bus'
import { DRIVER_NAME, MAX_DELIVERY_COUNT } from './constants.js'
import { classifyServiceBusError, keepExisting } from './servicebus-errors.js'
import { RULE_NAME, subscriptionRule } from './servicebus-filter.js'
import { caseSafeName, topicEntity } from './servicebus-names.js'
import type { ServiceBusQueueAdmin, ServiceBusTopicAdmin } from './servicebus-options.js'
import { sendMessages } from './servicebus-send.js'

/** Service Bus subscription names stop at 50 characters (portable names at 64). */
const MAX_SUBSCRIPTION_NAME = 50

/** What the topics need of the Service Bus driver. */
export interface ServiceBusTopicsHost {
  readonly client: ServiceBusClient
  readonly prefix: string
  readonly leaseSeconds: number
  /** The admin client, or a NOT_SUPPORTED error naming `operation` when the driver has none. */
  admin(operation: string): ServiceBusQueueAdmin
  /** Closes and forgets the driver's links to the subscriptions (`topic/subscription`) that `matches`. */
  dropLinks(matches: (address: string) => boolean): Promise<void>
}

/**
 * Topics and their subscriptions, native on Service Bus: a subscription carries one SQL rule made
 * from the portable filter, and is then read through the driver exactly like a queue.
 */
export class ServiceBusTopics {
  readonly #host: ServiceBusTopicsHost
  readonly #senders = new Map<string, ServiceBusSender>()

  constructor(host: ServiceBusTopicsHost) {
    this.#host = host
  }

  async createTopic(topic: string): Promise<void> {
    const admin = this.#admin('createTopic')
    await admin.createTopic(this.#entity(topic)).catch(keepExisting)
  }

  /** Service Bus deletes a topic's subscriptions with it. */
  async deleteTopic(topic: string): Promise<void> {
    const admin = this.#admin('deleteTopic')
    const sender = this.#senders.get(topic)
    this.#senders.delete(topic)
    await sender?.close().catch(() => {})
    await this.#host.dropLinks((address) => parseSubscriptionAddress(address)?.topic === topic)
    try {
      await admin.deleteTopic(this.#entity(topic))
    } catch (error) {
      if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  /** The subscription is created with its one SQL rule in place of `$Default`, in one call. */
  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    if (subscription.length > MAX_SUBSCRIPTION_NAME) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `subscription name "${subscription}" is ${subscription.length} characters; Service Bus takes at most ${MAX_SUBSCRIPTION_NAME}`,
        { field: 'subscription', limit: MAX_SUBSCRIPTION_NAME, driver: DRIVER_NAME },
      )
    }
    const admin = this.#admin('createSubscription')
    await admin
      .createSubscription(this.#entity(topic), caseSafeName(subscription), {
        lockDuration: `PT${this.#host.leaseSeconds}S`,
        maxDeliveryCount: MAX_DELIVERY_COUNT,
        defaultRuleOptions: {
          name: RULE_NAME,
          filter: { sqlExpression: subscriptionRule(subscription, filter) },
        },
      })
      .catch(keepExisting)
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const admin = this.#admin('deleteSubscription')
    const own = `${topic}/${subscription}`
    await this.#host.dropLinks((address) => address === own)
    try {
      await admin.deleteSubscription(this.#entity(topic), caseSafeName(subscription))
    } catch (error) {
      if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    let sender = this.#senders.get(topic)
    if (!sender) {
      sender = this.#host.client.createSender(this.#entity(topic))
      this.#senders.set(topic, sender)
    }
    const results = await sendMessages(sender, messages, undefined)
    const notFound = results.find(
      (r) => 'error' in r && classifyServiceBusError(r.error)?.code === 'QUEUE_NOT_FOUND',
    )
    if (notFound && this.#senders.get(topic) === sender) {
      this.#senders.delete(topic)
      void sender.close().catch(() => {})
    }
    return results
  }

  async close(): Promise<void> {
    const senders = [...this.#senders.values()]
    this.#senders.clear()
    await Promise.all(senders.map((s) => s.close().catch(() => {})))
  }

  #entity(topic: string): string {
    return topicEntity(this.#host.prefix, topic)
  }

  #admin(operation: string): ServiceBusTopicAdmin {
    const admin = this.#host.admin(operation) as Partial<ServiceBusTopicAdmin>
    if (typeof admin.createTopic === 'function' && typeof admin.createSubscription === 'function') {
      return admin as ServiceBusTopicAdmin
    }
    throw new QueueError(
      'NOT_SUPPORTED',
      `${operation} needs an admin that manages topics and subscriptions`,
      {
        field: 'admin',
        driver: DRIVER_NAME,
      },
    )
  }
}
