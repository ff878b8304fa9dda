import {
  type PeekedIncomingMessage,
  QueueError,
  type QueueStats,
  type StatsCapabilities,
} from '@anyqueue/queue-core/driver'
import type { ServiceBusClient } from '@azure/service-bus'
import Long from 'long'
import { DRIVER_NAME } from './constants.js'
import { fromServiceBus } from './servicebus-message.js'

/**
 * Looking at a Service Bus queue or subscription without changing it. `stats()` reads the
 * entity's runtime properties from the administration API: `activeMessageCount` (visible and locked
 * together — Service Bus does not count the two apart) → `active`, `scheduledMessageCount` →
 * `delayed` (queues only: a subscription's runtime properties have no scheduled count, and a
 * delayed nack on a subscription is scheduled on its topic), `deadLetterMessageCount` →
 * `deadLetters`. Service Bus updates them shortly after each operation: approximate. `peek()` is the
 * SDK's `peekMessages`, which takes no lock and counts no delivery.
 */
export const SERVICEBUS_STATS: StatsCapabilities = Object.freeze({
  active: 'approximate',
  delayed: 'approximate',
  deadLetters: 'approximate',
} as const)

interface Counts {
  activeMessageCount: number
  deadLetterMessageCount: number
  scheduledMessageCount?: number
}

/** What `stats()` needs of the admin client; `ServiceBusAdministrationClient` and the emulator's have it. */
export interface ServiceBusRuntimeAdmin {
  getQueueRuntimeProperties?(name: string): Promise<Counts>
  getSubscriptionRuntimeProperties?(topicName: string, subscriptionName: string): Promise<Counts>
}

/** The counts of the entity `entity` (a queue's name, or `topic/Subscriptions/subscription`). */
export async function readServiceBusStats(
  admin: ServiceBusRuntimeAdmin,
  entity: string,
): Promise<QueueStats> {
  const parts = entity.split('/Subscriptions/')
  const read =
    parts.length === 2
      ? admin.getSubscriptionRuntimeProperties?.bind(admin, parts[0]!, parts[1]!)
      : admin.getQueueRuntimeProperties?.bind(admin, entity)
  if (read === undefined) {
    throw new QueueError(
      'NOT_SUPPORTED',
      `stats() needs an admin client with ${parts.length === 2 ? 'getSubscriptionRuntimeProperties' : 'getQueueRuntimeProperties'}`,
      { field: 'admin', driver: DRIVER_NAME },
    )
  }
  const counts = await read()
  return {
    active: counts.activeMessageCount,
    ...(counts.scheduledMessageCount !== undefined && { delayed: counts.scheduledMessageCount }),
    deadLetters: counts.deadLetterMessageCount,
  }
}

/**
 * Up to `max` messages of the entity from its first, through a receiver of its own. Always from
 * sequence number 0: without it the SDK goes on from the last message it peeked on the entity (a
 * cursor it keeps per entity, across receivers), so a second look would show what comes after.
 */
export async function peekServiceBus(
  client: ServiceBusClient,
  entity: string,
  max: number,
): Promise<PeekedIncomingMessage[]> {
  const receiver = client.createReceiver(entity, { skipParsingBodyAsJson: true, skipConvertingDate: true })
  try {
    const peeked = await receiver.peekMessages(max, { fromSequenceNumber: Long.ZERO })
    return peeked.slice(0, max).map((m) => {
      const { receiptHandle: _handle, attempt, ...message } = fromServiceBus(m)
      return { ...message, deliveries: attempt - 1, state: m.state === 'scheduled' ? 'delayed' : 'active' }
    })
  } finally {
    await receiver.close().catch(() => {})
  }
}
