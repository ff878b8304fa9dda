/**
 * The driver side of topics (DESIGN.md §5). A subscription is consumed exactly like a queue: the
 * portable layer calls the driver's queue methods (`receiveBatch`, `ackBatch`, `nack`, …) with the
 * subscription's *address*, `topic/subscription`. The `/` never occurs in a queue name, so a driver
 * tells a subscription from a queue without ambiguity, and maps the pair to its backend name.
 */

import type { OutgoingMessage, SendResult } from './driver.js'
import type { FilterOperator, SubscriptionFilter } from './filter.js'

export interface TopicCapabilities {
  /** The portable filter operators the driver expresses natively; any other is `NOT_SUPPORTED`. */
  readonly filters: readonly FilterOperator[]
}

/** What a driver that declares `capabilities.topics` implements, beside its queue methods. */
export interface TopicDriver {
  /** Creates the topic if it does not exist. Idempotent. */
  createTopic(topic: string): Promise<void>
  /** Deletes the topic and every subscription of it. A missing topic is a no-op. */
  deleteTopic(topic: string): Promise<void>
  /**
   * Creates the subscription if it does not exist (an existing one is left as it is). It receives
   * every message published after this resolves that matches `filter`, never one published before.
   * A missing topic is `QUEUE_NOT_FOUND`. `filter` is validated and uses only declared operators.
   */
  createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void>
  /** Deletes the subscription and its messages. A missing one is a no-op. */
  deleteSubscription(topic: string, subscription: string): Promise<void>
  /**
   * Publishes to every subscription whose filter matches. Resolves once the backend accepted each
   * message (durably), or with its own error. `delaySeconds` is always 0. A missing topic is
   * `QUEUE_NOT_FOUND`.
   */
  publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]>
}

/** The address the portable layer gives a driver's queue methods for a subscription. */
export function subscriptionAddress(topic: string, subscription: string): string {
  return `${topic}/${subscription}`
}

/** `{ topic, subscription }` when `address` names a subscription, undefined for a plain queue. */
export function parseSubscriptionAddress(
  address: string,
): { topic: string; subscription: string } | undefined {
  const slash = address.indexOf('/')
  if (slash < 0) return undefined
  return { topic: address.slice(0, slash), subscription: address.slice(slash + 1) }
}
