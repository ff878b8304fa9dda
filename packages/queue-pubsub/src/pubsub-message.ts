import type { IncomingMessage, OutgoingMessage } from '@anyqueue/queue-core/driver'
import { CONTENT_TYPE_ATTRIBUTE, HANDLE_PREFIX } from './constants.js'

type Received = import('@google-cloud/pubsub').protos.google.pubsub.v1.IReceivedMessage

/** A message to publish: the body as bytes, the content type as an attribute. */
export function toPubSub(m: OutgoingMessage) {
  return {
    data: Buffer.from(m.body, 'utf8'),
    attributes:
      m.contentType === undefined
        ? { ...m.attributes }
        : { ...m.attributes, [CONTENT_TYPE_ATTRIBUTE]: m.contentType },
  }
}

export function toIncoming(received: Received): IncomingMessage {
  const message = received.message ?? {}
  const publishTime = message.publishTime
  const enqueuedAt = publishTime
    ? new Date(Number(publishTime.seconds ?? 0) * 1000 + Math.floor((publishTime.nanos ?? 0) / 1e6))
    : new Date()
  const { [CONTENT_TYPE_ATTRIBUTE]: contentType, ...attributes } = message.attributes ?? {}
  return {
    id: message.messageId ?? '',
    // Pub/Sub data is bytes: handed up as they are, for the portable layer's strict UTF-8 decode.
    body: toBytes(message.data),
    contentType,
    receiptHandle: HANDLE_PREFIX + (received.ackId ?? ''),
    // Pub/Sub reports deliveryAttempt only under a dead-letter policy; without one it is 0.
    attempt: received.deliveryAttempt && received.deliveryAttempt > 0 ? received.deliveryAttempt : 1,
    enqueuedAt,
    attributes,
  }
}

/** Pub/Sub's ack id inside a receipt handle. */
export const ackId = (receiptHandle: string) => receiptHandle.slice(HANDLE_PREFIX.length)

/** The gRPC client gives a Buffer; a base64 string only over the REST fallback. */
function toBytes(data: Uint8Array | string | null | undefined): Uint8Array | string {
  if (data === null || data === undefined) return ''
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data
}
