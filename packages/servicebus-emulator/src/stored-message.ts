import TinyQueue from 'tinyqueue'
import type { StoredBody } from './amqp.js'

export type MessageState = 'active' | 'deferred' | 'scheduled'
/** A message's state as Service Bus encodes it in the `x-opt-message-state` annotation. */
export const STATE_CODE = { active: 0, deferred: 1, scheduled: 2 } as const

/** A message as an entity holds it: its body as received, and where it stands. */
export interface StoredMessage {
  readonly seq: number
  body: StoredBody
  readonly messageId: string | undefined
  readonly enqueuedAt: number
  /** `Infinity` when the message never expires (dead-letter queues). */
  readonly expiresAt: number
  state: MessageState
  /** Deliveries so far; the header's delivery count on the next one. */
  deliveries: number
  lock: Lock | undefined
  /** Set once the message lives in a dead-letter queue: the entity it came from. */
  deadLetterSource: string | undefined
  scheduleTimer?: NodeJS.Timeout | undefined
}

/** A peek-lock receiver's hold on one message. */
export interface Lock {
  readonly token: string
  lockedUntil: number
  timer: NodeJS.Timeout
  /** Told when the lock ends: settled (by any path) or expired. The link settles its delivery. */
  onEnd?: ((expired: boolean) => void) | undefined
}

/** The session a message belongs to (its AMQP group id). */
export function sessionOf(message: { body: StoredBody }): string | undefined {
  const id = message.body.decoded.group_id
  return id === undefined || id === null ? undefined : String(id)
}

/** Merges `properties` into the message's application properties (a settlement's "properties to modify"). */
export function modifyProperties(
  message: StoredMessage,
  properties: Record<string, unknown> | undefined,
): void {
  if (!properties || Object.keys(properties).length === 0) return
  message.body = {
    ...message.body,
    applicationProperties: { ...message.body.applicationProperties, ...properties },
  }
}

/** A min-heap of sequence numbers (tinyqueue): the order Service Bus hands messages out in. */
export function seqHeap(): TinyQueue<number> {
  return new TinyQueue<number>([], (a, b) => a - b)
}
