import { DEAD_LETTER_ATTRIBUTES, type PeekedMessage, type Queue } from '@anyqueue/queue-core'

/** A message as the page shows it; the page renders every field as text. */
export interface ShownMessage {
  id: string
  enqueuedAt: string
  state: string
  deliveries: number
  attributes: Record<string, string>
  /** The payload as JSON text, or the raw body when it could not be decoded. */
  payload: string
  reason?: string
  attempts?: string
  source?: string
}

/** Up to `max` messages of `queue`, peeked: no lease is taken, nothing changes. */
export async function peekShown(queue: Queue<any>, max: number): Promise<ShownMessage[]> {
  const peeked = await queue.peek({ maxMessages: max })
  return peeked.map(show)
}

function show(m: PeekedMessage<unknown>): ShownMessage {
  const a = m.attributes
  const payload =
    m.decodeError === undefined
      ? JSON.stringify(m.payload)
      : new TextDecoder().decode(m.rawBody ?? new Uint8Array())
  return {
    id: m.id,
    enqueuedAt: m.enqueuedAt.toISOString(),
    state: m.state,
    deliveries: m.deliveries,
    attributes: a,
    payload,
    ...(a[DEAD_LETTER_ATTRIBUTES.reason] !== undefined && { reason: a[DEAD_LETTER_ATTRIBUTES.reason] }),
    ...(a[DEAD_LETTER_ATTRIBUTES.attempts] !== undefined && { attempts: a[DEAD_LETTER_ATTRIBUTES.attempts] }),
    ...(a[DEAD_LETTER_ATTRIBUTES.source] !== undefined && { source: a[DEAD_LETTER_ATTRIBUTES.source] }),
  }
}

/**
 * Deletes the visible messages of `queue` (receive and ack, as the CLI's `purge` does): delayed
 * and in-flight messages stay. Stops at the first empty receive, or after `limit` messages, so a
 * queue filled as fast as it is purged cannot keep the request running.
 */
export async function purgeVisible(queue: Queue<any>, limit: number): Promise<number> {
  let deleted = 0
  while (deleted < limit) {
    const got = await queue.receive({ maxMessages: Math.min(10, limit - deleted), waitSeconds: 0 })
    if (got.length === 0) break
    await queue.ackBatch(got)
    deleted += got.length
  }
  return deleted
}
