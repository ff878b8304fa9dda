import type { IncomingMessage } from '@anyqueue/queue-core/driver'
import type { ServiceBusReceivedMessage } from '@azure/service-bus'
import { fromServiceBus } from '../servicebus-message.js'

/**
 * The part of the Functions `InvocationContext` (`@azure/functions` v4) the handler reads:
 * structural, so the real one fits and this package takes no dependency for it.
 */
export interface FunctionsContextLike {
  readonly invocationId?: string
  /** The Service Bus trigger's metadata: `messageId`, `deliveryCount`, `contentType`, … */
  readonly triggerMetadata?: Record<string, unknown>
}

/**
 * The Service Bus trigger's `triggerMetadata` fields the handler reads. The Functions host fills
 * them from the .NET SDK's `ServiceBusReceivedMessage`, whose `DeliveryCount` is 1 on the first
 * delivery.
 */
export interface ServiceBusTriggerMetadata {
  messageId?: string
  deliveryCount?: number
  enqueuedTimeUtc?: string
  contentType?: string
  applicationProperties?: Record<string, unknown>
  /** The older name of `applicationProperties`. */
  userProperties?: Record<string, unknown>
  lockToken?: string
  sequenceNumber?: number
}

/**
 * The trigger's message as the driver's `receiveBatch` would hand it up (the same mapping,
 * `fromServiceBus`). The host gives the body as bytes (a `Buffer`, exact), as text, or — when it
 * found JSON there — as the parsed value, which is handed up as JSON text with the JSON content type.
 */
export function incomingFromTrigger(message: unknown, context: FunctionsContextLike): IncomingMessage {
  const meta = (context?.triggerMetadata ?? {}) as ServiceBusTriggerMetadata
  const delivered = typeof meta.deliveryCount === 'number' && meta.deliveryCount >= 1 ? meta.deliveryCount : 1
  const bytes =
    message instanceof Uint8Array
      ? { body: message, bodyType: 'data' as const }
      : typeof message === 'string'
        ? { body: Buffer.from(message, 'utf8'), bodyType: 'data' as const }
        : { body: message, bodyType: 'value' as const }
  const enqueued = meta.enqueuedTimeUtc === undefined ? Number.NaN : Date.parse(meta.enqueuedTimeUtc)
  const received = {
    body: bytes.body,
    messageId: meta.messageId,
    sequenceNumber: meta.sequenceNumber,
    contentType: meta.contentType,
    applicationProperties: meta.applicationProperties ?? meta.userProperties,
    lockToken: meta.lockToken ?? `functions:${context?.invocationId ?? meta.messageId ?? ''}`,
    // The .NET SDK counts from 1, the JavaScript one (which fromServiceBus reads) from 0.
    deliveryCount: delivered - 1,
    enqueuedTimeUtc: Number.isFinite(enqueued) ? new Date(enqueued) : undefined,
    _rawAmqpMessage: { bodyType: bytes.bodyType },
  } as unknown as ServiceBusReceivedMessage
  return fromServiceBus(received)
}
