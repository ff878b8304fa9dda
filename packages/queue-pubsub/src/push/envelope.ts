import type { IncomingMessage } from '@anyqueue/queue-core/driver'
import { toIncoming } from '../pubsub-message.js'

/**
 * The body of a push request without payload unwrapping (Pub/Sub's "wrapped" envelope):
 * `{ message: { data, attributes, messageId, publishTime }, subscription, deliveryAttempt }`.
 * `deliveryAttempt` is there only when the subscription has a dead-letter policy.
 */
export interface PushEnvelope {
  message: {
    /** Base64 of the message's bytes; absent for an empty message. */
    data?: string
    attributes?: Record<string, string>
    messageId?: string
    message_id?: string
    /** RFC 3339, e.g. `2026-12-07T20:13:55.749Z`. */
    publishTime?: string
    publish_time?: string
  }
  subscription?: string
  deliveryAttempt?: number
}

/** Why a request is not a push delivery at all (then it is nacked: it cannot be read, so it cannot be dead-lettered). */
export class NotAPushRequest extends Error {
  override name = 'NotAPushRequest'
}

/** Marks receipt handles of pushed messages: there is no ack id, the HTTP answer settles them. */
export const PUSH_HANDLE_PREFIX = 'ps1.push:'

/**
 * A push request as the driver's `receiveBatch` would hand the message up (the same mapping,
 * `toIncoming`): wrapped (JSON envelope) or unwrapped (payload unwrapping: the body is the data,
 * metadata in `x-goog-pubsub-*` headers). Unwrapped delivery puts attributes among the HTTP headers,
 * where they cannot be told from the request's own: only `content-type` is taken from them.
 */
export async function readPush(
  request: Request,
): Promise<{ incoming: IncomingMessage; subscription?: string; deliveryAttempt: boolean }> {
  const headers = request.headers
  const unwrappedId = headers.get('x-goog-pubsub-message-id')
  if (unwrappedId !== null) {
    const contentType = headers.get('content-type')
    const publishTime = headers.get('x-goog-pubsub-publish-time')
    return {
      incoming: fromParts({
        id: unwrappedId,
        data: new Uint8Array(await request.arrayBuffer()),
        attributes: contentType === null ? {} : { 'content-type': contentType },
        publishTime: publishTime ?? undefined,
        deliveryAttempt: undefined,
      }),
      subscription: headers.get('x-goog-pubsub-subscription-name') ?? undefined,
      deliveryAttempt: false,
    }
  }
  let envelope: PushEnvelope
  try {
    envelope = JSON.parse(await request.text()) as PushEnvelope
  } catch (error) {
    throw new NotAPushRequest(`the body is not a push envelope (not JSON: ${(error as Error).message})`)
  }
  const message = envelope?.message
  if (typeof message !== 'object' || message === null) {
    throw new NotAPushRequest('the body is not a push envelope (no "message" object)')
  }
  const id = message.messageId ?? message.message_id
  if (typeof id !== 'string' || id === '') throw new NotAPushRequest('the push envelope has no messageId')
  const data = message.data ?? ''
  if (typeof data !== 'string') throw new NotAPushRequest('the push envelope\'s "data" is not base64 text')
  const attributes = message.attributes ?? {}
  if (
    typeof attributes !== 'object' ||
    attributes === null ||
    Object.values(attributes).some((v) => typeof v !== 'string')
  ) {
    throw new NotAPushRequest('the push envelope\'s "attributes" is not a map of strings')
  }
  return {
    incoming: fromParts({
      id,
      data: Buffer.from(data, 'base64'),
      attributes,
      publishTime: message.publishTime ?? message.publish_time,
      deliveryAttempt: typeof envelope.deliveryAttempt === 'number' ? envelope.deliveryAttempt : undefined,
    }),
    subscription: typeof envelope.subscription === 'string' ? envelope.subscription : undefined,
    deliveryAttempt: typeof envelope.deliveryAttempt === 'number' && envelope.deliveryAttempt > 0,
  }
}

function fromParts(parts: {
  id: string
  data: Uint8Array
  attributes: Record<string, string>
  publishTime: string | undefined
  deliveryAttempt: number | undefined
}): IncomingMessage {
  const millis = parts.publishTime === undefined ? Number.NaN : Date.parse(parts.publishTime)
  const incoming = toIncoming({
    ackId: `push:${parts.id}`,
    deliveryAttempt: parts.deliveryAttempt ?? null,
    message: {
      messageId: parts.id,
      data: parts.data,
      attributes: { ...parts.attributes },
      ...(Number.isFinite(millis) && {
        publishTime: { seconds: Math.floor(millis / 1000), nanos: (millis % 1000) * 1e6 },
      }),
    },
  })
  return incoming
}
