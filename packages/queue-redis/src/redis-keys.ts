import { parseSubscriptionAddress } from '@anyqueue/queue-core/driver'

/**
 * The keys of one queue, or of one subscription (a queue of its topic). Every key of a queue
 * shares the hash tag `{q:<queue>}`, and every key of a topic and of its subscriptions shares
 * `{t:<topic>}`, so each script touches one Redis Cluster slot.
 */
export interface QueueKeys {
  /** Exists exactly while the queue does. */
  meta: string
  /** Hash: seq → `<enqueued ms>|<payload JSON>`. */
  messages: string
  /** Hash: seq → deliveries so far (absent until the first receive). */
  deliveries: string
  /** Sorted set of every message, score = seq: send order, for `peek` and the oldest age. */
  sent: string
  /** Sorted set of the messages a receive can take now, score = seq (FIFO). */
  ready: string
  /** Sorted set of delayed sends and delayed nacks, score = due time (server ms). */
  delayed: string
  /** Sorted set of leased messages, score = lease expiry (server ms). */
  lease: string
  /** The seq counter; it outlives `deleteQueue`, so a receipt handle never repeats. */
  seq: string
  /** Pub/Sub channel published when a message becomes ready, or the queue goes away. */
  wake: string
}

/** The script KEYS order every queue script uses. */
export function keyList(keys: QueueKeys): string[] {
  return [
    keys.meta,
    keys.messages,
    keys.deliveries,
    keys.sent,
    keys.ready,
    keys.delayed,
    keys.lease,
    keys.seq,
  ]
}

/** Suffixes after a queue's base, in `keyList` order (the topic scripts build sub keys from them). */
export const SUFFIXES = [':meta', ':m', ':d', ':sent', ':ready', ':delayed', ':lease', ':seq'] as const

/** Keys of a queue, or of a subscription given by its address `topic/subscription`. */
export function queueKeys(prefix: string, queue: string): QueueKeys {
  const address = parseSubscriptionAddress(queue)
  const base = address
    ? `${subscriptionBase(prefix, address.topic)}${address.subscription}`
    : `${prefix}{q:${queue}}`
  return fromBase(base)
}

/** The base every subscription key of `topic` starts with, followed by the subscription name. */
export function subscriptionBase(prefix: string, topic: string): string {
  return `${prefix}{t:${topic}}:s:`
}

/** A topic's own keys: its existence marker and its subscriptions (name → filter JSON, or ''). */
export function topicKeys(prefix: string, topic: string): { meta: string; subscriptions: string } {
  return { meta: `${prefix}{t:${topic}}:meta`, subscriptions: `${prefix}{t:${topic}}:subs` }
}

function fromBase(base: string): QueueKeys {
  return {
    meta: `${base}:meta`,
    messages: `${base}:m`,
    deliveries: `${base}:d`,
    sent: `${base}:sent`,
    ready: `${base}:ready`,
    delayed: `${base}:delayed`,
    lease: `${base}:lease`,
    seq: `${base}:seq`,
    wake: `${base}:wake`,
  }
}
