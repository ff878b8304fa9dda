import { randomUUID } from 'node:crypto'
import type { IncomingMessage, OutgoingMessage } from '@anyqueue/queue-core/driver'
import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus'
import { ATTEMPTS_PROPERTY, ENQUEUED_PROPERTY, SUBSCRIPTION_PROPERTY } from './constants.js'
import { mapBody, propertyString } from './servicebus-body.js'

/** The SDK's AMQP-level message (from @azure/core-amqp, which it does not re-export). */
type AmqpAnnotatedMessage = ServiceBusReceivedMessage['_rawAmqpMessage']

/** A message to send; `stamp` addresses a topic's copy to that one subscription. */
export function toServiceBus(m: OutgoingMessage, stamp: string | undefined): ServiceBusMessage {
  const properties = stamp === undefined ? m.attributes : { ...m.attributes, [SUBSCRIPTION_PROPERTY]: stamp }
  return {
    // Raw UTF-8 bytes in a data section: what any Service Bus client in any language reads as-is.
    body: Buffer.from(m.body, 'utf8'),
    messageId: randomUUID(),
    contentType: m.contentType,
    applicationProperties: Object.keys(properties).length > 0 ? { ...properties } : undefined,
    scheduledEnqueueTimeUtc: m.delaySeconds > 0 ? new Date(Date.now() + m.delaySeconds * 1000) : undefined,
  }
}

export function fromServiceBus(m: ServiceBusReceivedMessage): IncomingMessage {
  const properties = m.applicationProperties ?? {}
  const before = properties[ATTEMPTS_PROPERTY]
  const enqueued = properties[ENQUEUED_PROPERTY]
  // The two are written together, as whole numbers, by a delayed nack; anything else another
  // producer put under these names is its own attribute, delivered rather than swallowed.
  const ours = isCount(before) && isCount(enqueued)
  const attributes: Record<string, string> = {}
  for (const [name, value] of Object.entries(properties)) {
    if (ours && (name === ATTEMPTS_PROPERTY || name === ENQUEUED_PROPERTY)) continue
    if (name === SUBSCRIPTION_PROPERTY) continue // a topic's copy addressed to one subscription
    attributes[name] = propertyString(value)
  }
  const mapped = mapBody(m.body, m._rawAmqpMessage?.bodyType)
  return {
    id: String(m.messageId ?? m.sequenceNumber),
    body: mapped.body,
    ...(mapped.undecodable !== undefined && { undecodable: mapped.undecodable }),
    contentType: mapped.contentType ?? m.contentType,
    receiptHandle: m.lockToken!,
    attempt: (ours ? before : 0) + m.deliveryCount! + 1,
    enqueuedAt: ours ? new Date(enqueued) : (m.enqueuedTimeUtc ?? new Date()),
    attributes,
  }
}

/**
 * The copy a delayed nack schedules in place of `message`: it carries the attempts so far and the
 * original enqueue time (Service Bus would count the copy as new), and for a subscription the
 * stamp that addresses it through its topic to that subscription alone.
 */
export function delayedCopy(
  message: ServiceBusReceivedMessage,
  stamp: string | undefined,
): ServiceBusMessage | AmqpAnnotatedMessage {
  const incoming = fromServiceBus(message)
  const applicationProperties = {
    ...message.applicationProperties,
    [ATTEMPTS_PROPERTY]: incoming.attempt,
    [ENQUEUED_PROPERTY]: incoming.enqueuedAt.getTime(),
    // A subscription's copy goes through its topic, addressed to it alone.
    ...(stamp === undefined ? {} : { [SUBSCRIPTION_PROPERTY]: stamp }),
  }
  const bodyType = message._rawAmqpMessage?.bodyType
  // The copy keeps the body's section type: a value section stays a value, bytes stay bytes.
  return bodyType === 'value' || bodyType === 'sequence'
    ? {
        body: message.body,
        bodyType,
        properties: { messageId: message.messageId, contentType: message.contentType },
        applicationProperties: applicationProperties as AmqpAnnotatedMessage['applicationProperties'],
      }
    : {
        body: message.body,
        messageId: message.messageId,
        contentType: message.contentType,
        applicationProperties,
      }
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
