import type { Broker, CreateQueueOptions } from './broker.js'
import { parseDuration } from './config.js'
import { BrokerError, CONDITIONS } from './errors.js'

/**
 * Queue, topic and subscription management at run time, shaped like `ServiceBusAdministrationClient`'s
 * methods of the same names.
 */
export interface EmulatorAdmin {
  createQueue(name: string, options?: CreateQueueOptions): Promise<{ name: string }>
  deleteQueue(name: string): Promise<void>
  queueExists(name: string): Promise<boolean>
  /** Every queue, by the name it was created with, as `ServiceBusAdministrationClient.listQueues()` yields them. */
  listQueues(): AsyncIterable<{ name: string }>
  /** A topic is created without subscriptions. */
  createTopic(name: string): Promise<{ name: string }>
  /** Deletes the topic and its subscriptions. */
  deleteTopic(name: string): Promise<void>
  topicExists(name: string): Promise<boolean>
  /** `defaultRuleOptions` replaces the `$Default` true rule, atomically with the creation. */
  createSubscription(
    topicName: string,
    subscriptionName: string,
    options?: Pick<CreateQueueOptions, 'lockDuration' | 'maxDeliveryCount'> & {
      defaultRuleOptions?: { name: string; filter: { sqlExpression: string } }
    },
  ): Promise<{ subscriptionName: string; topicName: string }>
  deleteSubscription(topicName: string, subscriptionName: string): Promise<void>
  /** The queue's counts, as the SDK's `QueueRuntimeProperties` name them. */
  getQueueRuntimeProperties(
    name: string,
  ): Promise<EntityRuntimeCounts & { name: string; scheduledMessageCount: number }>
  /** The subscription's counts, as the SDK's `SubscriptionRuntimeProperties` name them (no scheduled count). */
  getSubscriptionRuntimeProperties(
    topicName: string,
    subscriptionName: string,
  ): Promise<EntityRuntimeCounts & { topicName: string; subscriptionName: string }>
}

/**
 * The counts the management API reports (`CountDetails`): active takes in locked and deferred
 * messages, as Service Bus's does; total adds the scheduled and dead-lettered ones.
 */
export interface EntityRuntimeCounts {
  totalMessageCount: number
  activeMessageCount: number
  deadLetterMessageCount: number
  transferMessageCount: number
  transferDeadLetterMessageCount: number
}

/** `emu.admin`: queue management in process, without the HTTP API. */
export function emulatorAdmin(broker: Broker): EmulatorAdmin {
  return {
    async createQueue(name, queueOptions = {}) {
      const duration = (value: string | undefined, field: string) =>
        value === undefined ? undefined : parseDuration(value, field)
      try {
        broker.addQueue({
          name,
          properties: {
            lockDurationMs: duration(queueOptions.lockDuration, 'lockDuration'),
            maxDeliveryCount: queueOptions.maxDeliveryCount,
            defaultMessageTimeToLiveMs: duration(
              queueOptions.defaultMessageTimeToLive,
              'defaultMessageTimeToLive',
            ),
            deadLetteringOnMessageExpiration: queueOptions.deadLetteringOnMessageExpiration,
            requiresDuplicateDetection: queueOptions.requiresDuplicateDetection,
            duplicateDetectionHistoryTimeWindowMs: duration(
              queueOptions.duplicateDetectionHistoryTimeWindow,
              'duplicateDetectionHistoryTimeWindow',
            ),
            forwardTo: queueOptions.forwardTo,
            forwardDeadLetteredMessagesTo: queueOptions.forwardDeadLetteredMessagesTo,
            requiresSession: queueOptions.requiresSession,
          } as never,
        })
      } catch (error) {
        throw adminError(error)
      }
      return { name }
    },
    async deleteQueue(name) {
      if (!broker.deleteEntity(name)) throw entityNotFound(name)
    },
    async queueExists(name) {
      return broker.hasQueue(name)
    },
    async *listQueues() {
      for (const name of broker.queueNames()) yield { name }
    },
    async createTopic(name) {
      try {
        broker.addTopic({ name })
      } catch (error) {
        throw adminError(error)
      }
      return { name }
    },
    async deleteTopic(name) {
      if (!broker.hasTopic(name) || !broker.deleteEntity(name)) throw entityNotFound(name)
    },
    async topicExists(name) {
      return broker.hasTopic(name)
    },
    async createSubscription(topicName, subscriptionName, subscriptionOptions = {}) {
      const rule = subscriptionOptions.defaultRuleOptions
      try {
        broker.addSubscription(topicName, {
          name: subscriptionName,
          properties: {
            lockDurationMs:
              subscriptionOptions.lockDuration === undefined
                ? undefined
                : parseDuration(subscriptionOptions.lockDuration, 'lockDuration'),
            maxDeliveryCount: subscriptionOptions.maxDeliveryCount,
          } as never,
          rules:
            rule === undefined
              ? undefined
              : [{ type: 'sql', expression: rule.filter.sqlExpression, name: rule.name }],
        })
      } catch (error) {
        throw adminError(error)
      }
      return { subscriptionName, topicName }
    },
    async getQueueRuntimeProperties(name) {
      if (!broker.hasQueue(name)) throw entityNotFound(name)
      const { counts, scheduled } = runtimeCounts(broker, name)
      return { name, ...counts, scheduledMessageCount: scheduled }
    },
    async getSubscriptionRuntimeProperties(topicName, subscriptionName) {
      const path = `${topicName}/Subscriptions/${subscriptionName}`
      if (!broker.hasTopic(topicName)) throw entityNotFound(path)
      let found: ReturnType<typeof runtimeCounts>
      try {
        found = runtimeCounts(broker, path)
      } catch (error) {
        throw error instanceof BrokerError ? entityNotFound(path) : error
      }
      return { topicName, subscriptionName, ...found.counts }
    },
    async deleteSubscription(topicName, subscriptionName) {
      if (!broker.deleteSubscription(topicName, subscriptionName)) {
        throw entityNotFound(`${topicName}/Subscriptions/${subscriptionName}`)
      }
    },
  }
}

function runtimeCounts(broker: Broker, path: string): { counts: EntityRuntimeCounts; scheduled: number } {
  const entity = broker.receivable(path)
  const c = entity.counts()
  const dead = entity.deadLetterQueue?.messages.size ?? 0
  return {
    counts: {
      totalMessageCount: entity.messages.size + dead,
      activeMessageCount: c.active + c.locked + c.deferred,
      deadLetterMessageCount: dead,
      transferMessageCount: 0,
      transferDeadLetterMessageCount: 0,
    },
    scheduled: c.scheduled,
  }
}

/** A broker error as the SDK's admin client reports it: a `code` and an HTTP `statusCode`. */
function adminError(error: unknown): unknown {
  if (!(error instanceof BrokerError)) return error
  const exists = error.condition === CONDITIONS.entityExists
  return Object.assign(new Error(error.message), {
    code: exists ? 'MessagingEntityAlreadyExists' : 'MessageEntityNotFoundError',
    statusCode: exists ? 409 : 404,
  })
}

function entityNotFound(name: string): Error {
  return Object.assign(new Error(`The messaging entity '${name}' could not be found.`), {
    code: 'MessageEntityNotFoundError',
    statusCode: 404,
  })
}
